"""Screens of closing the loop (issue 11).

- ``patient``: the patient's "Your requests", "In progress" and one request's page (the thread,
  the reply with a photo, the outcome and a suggested prescription's approval).
- ``practice_queue``: /practice/requests, the practice's queue (filters and pages in the URL).
- ``practice_request``: /practice/request?id=, one request for staff, with assign, status,
  message and sign-off.
"""
