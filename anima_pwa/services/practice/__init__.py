"""The practice and its staff.

- ``practices``: importing NHS ODS practices and practice registers, practice search;
- ``staff``: staff accounts and MFA enrolment by emailed link;
- ``permissions``: the one permission table every staff action is checked against;
- Patient Management, one module per screen or action:
  - ``patient_search``: Patient Search (NHS number, date of birth, email, name);
  - ``patient_records``: a patient's record, editing it, removing their email address;
  - ``verifications``: the verification queue, verify or reject, approve or decline a link;
  - ``holders``: who holds whom (own accounts, parents, carers, care homes), removing a holder;
  - ``audit_trail``: who did what to a patient's record;
  - ``patient_access``: what they share: reaching a patient (or a holder's link) of the staff
    member's own practice from an id the browser sent, the staff audit row, and how dates and
    NHS numbers are shown;
- "Create Request", finding or making the patient's account:
  - ``account_lookup``: "Search" by NHS number, choosing the care home for a resident;
  - ``account_creation``: "Create New Patient Account" for a patient, a care home or a resident
    (the emailed link to set the password is ``services.identity.password_setup``);
- ``practice_details``: Practice Details for the patient's dashboard;
- ``practice_link``: the practice's own link `/p/<ODS code>`, its poster's QR code, preselecting it at sign-up;
- ``core_hours``: the contractual core-hours rule, its warnings and its log.
"""
