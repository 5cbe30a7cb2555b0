"""Closing the loop: the practice acts on a request and the patient reads and answers it.

- ``notices``: telling every account that may act for the patient that there is something to
  read ("You have a new message from your practice. Log in to read it."), never what.
- ``outcomes``: the sign-off outcomes, their details as staff give them, and the plain words the
  patient reads.
- ``staff_access``: which requests a member of staff may act on (practice, role, kind).
- ``staff_actions``: assign, take it myself, status moves, messages to the patient.
- ``sign_off``: the outcome, the record job and the notice in one transaction; one winner.
- ``auto_close``: closing requests the patient never answered (from housekeeping).
- ``request_view``: one request as the practice reads it.
- ``queue``: the practice's open requests, most urgent first then oldest first, filtered, counted
  and paged in SQL, with how long each has waited and the core-hours "no response today" mark.
- ``thread``: a request's messages as staff or the patient read them, and the message waiting
  for the patient's reply.
"""
