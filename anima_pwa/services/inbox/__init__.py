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
- ``delivery``: what staff see on a request when a notice about it could not be delivered
  (``delivery_problems``).
- ``record``: writing a signed-off request to the health record (``RecordAdapter``,
  ``FileAdapter``, the ``export_due`` worker, ``record_status`` for staff); ``record_bundle``
  builds the FHIR R4 Bundle it writes.

The patient's side:

- ``access``: which requests an account may see and act on (its own record, and the people it
  holds through a link needing no approval or approved): one rule for every patient-side read
  and write, "We could not find that request." for any other id;
- ``patient_view``: "Your requests", "In progress" (waiting for a reply first, with "Respond")
  and one request's page (the answers as given, the thread, the outcome), never the triage;
- ``replies``: the patient's reply (text, and a photo when asked), refused with the reason on a
  finished request or when no reply is awaited; the request goes back to the practice;
- ``attachments``: photos checked by content, metadata stripped, stored outside the web root,
  following the transaction, and who may see them (`GET /attachments/<id>`);
- ``decisions``: approving or declining a suggested prescription, once.
"""
