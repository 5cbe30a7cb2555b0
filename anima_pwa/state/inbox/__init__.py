"""Screens of the inbox (issue 11).

- ``patient``: the patient's "Your requests", "In progress" and one request's page (the thread,
  the reply with a photo, the outcome and a suggested prescription's approval).
"""
