"""Appointments (issue 12): the practice invites, the patient books and cancels.

- ``rota``: appointment books, their weekly pattern and days off; ``generate_slots`` (UK times stored
  as UTC, bank holidays skipped, idempotent);
- ``invites``: ``create_invite`` (one call in the sign-off's transaction), ``open_invites_for`` (the
  patient's "In progress"), the checks every booking step makes;
- ``booking``: free days and times, ``book`` (one winner per slot, enforced by the database),
  ``cancel`` up to the practice's cut-off, the patient's appointments;
- ``notices``: confirmation, cancellation and reminder by email and SMS (nothing clinical);
- ``calendar_file``: the .ics for "Add to calendar"; ``reminders``: the day-before reminder, once;
- ``staff_side``: for the workspace: the day's list, booking, moving and cancelling for a patient;
- ``housekeeping``: the lifespan task (reminders, slots); ``demo_books``: the demo practices' books.
"""
