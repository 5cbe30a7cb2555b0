"""Closing the loop: the practice acts on a request and the patient reads and answers it.

- ``notices``: telling every account that may act for the patient that there is something to
  read ("You have a new message from your practice. Log in to read it."), never what.
"""
