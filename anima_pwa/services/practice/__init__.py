"""The practice and its staff.

- ``practices``: importing NHS ODS practices and practice registers, practice search;
- ``staff``: staff accounts and MFA enrolment by emailed link;
- ``permissions``: the one permission table every staff action is checked against;
- ``patient_management``: Patient Search, patient records, Verifications, holders, audit trail;
- ``practice_accounts``: "Create Request": finding or creating patient and care-home accounts;
- ``practice_details``: Practice Details for the patient's dashboard;
- ``core_hours``: the contractual core-hours rule, its warnings and its log.
"""
