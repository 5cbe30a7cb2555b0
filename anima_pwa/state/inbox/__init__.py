"""Screens of closing the loop (issue 11).

- ``practice_queue``: the practice's queue (filters and pages in the URL).
- ``practice_request``: one request for staff, with assign, status, message and sign-off.
"""
