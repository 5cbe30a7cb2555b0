"""The rules of Anima, in plain Python: no Reflex, no state, no pages (tests/test_layering.py).

One package per capability; each package's docstring names what it offers:

- ``identity``: accounts, sign-in sessions, passwords, MFA, emailed links and codes, account
  settings, rate limits and device cookies;
- ``nhs_login``: the OpenID Connect client and what NHS login means for accounts;
- ``patients``: registration details, verification against the practice register, dependants;
- ``practice``: practices and registers, staff, the permission table, Patient Management,
  practice-made accounts, Practice Details and the core-hours rule;
- ``requests``: drafts to submission, capacity (hours and limits), emergency signposts;
- ``questionnaires``: request topics (FHIR Questionnaires), their flow, red flags, triage and search;
- ``platform``: audit, the email outbox, validation, text limits, crypto, bank holidays, demo
  data and housekeeping.

Every public function takes the acting identity (or staff context) and a database session it
does not commit. See docs/ARCHITECTURE.md for the failure and guard conventions.
"""
