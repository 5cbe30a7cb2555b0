"""Closing the loop: the practice acts on a request and the patient reads and answers it.

- ``notices``: telling every account that may act for the patient that there is something to
  read ("You have a new message from your practice. Log in to read it."), never what.
- ``outcomes``: the sign-off outcomes, their details as staff give them, and the plain words the
  patient reads.
- ``thread``: a request's messages as staff or the patient read them, and the message waiting
  for the patient's reply.
- ``delivery``: what staff see on a request when a notice about it could not be delivered
  (``delivery_problems``).
- ``record``: writing a signed-off request to the health record (``RecordAdapter``,
  ``FileAdapter``, the ``export_due`` worker, ``record_status`` for staff); ``record_bundle``
  builds the FHIR R4 Bundle it writes.
"""
