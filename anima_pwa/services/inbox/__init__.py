"""Closing the loop: the practice acts on a request and the patient reads and answers it.

- ``notices``: telling every account that may act for the patient that there is something to
  read ("You have a new message from your practice. Log in to read it."), never what.
- ``outcomes``: the sign-off outcomes, their details as staff give them, and the plain words the
  patient reads.
- ``thread``: a request's messages as staff or the patient read them, and the message waiting
  for the patient's reply.
"""
