"""Screens of appointments (issue 12).

- ``patient``: booking with an invite (a day, a time, confirm) and one appointment (Add to calendar, Cancel).
- ``practice_books``: the workspace's Appointment books (create, weekly pattern, days off, generate slots).
- ``practice_today``: the workspace's Appointments, the day's list per clinician or site; book, move
  and cancel for a patient by phone.
"""
