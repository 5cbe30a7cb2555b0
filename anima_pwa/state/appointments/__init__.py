"""Screens of appointments (issue 12).

- ``patient``: booking with an invite (a day, a time, confirm) and one appointment (Add to calendar, Cancel).
"""
