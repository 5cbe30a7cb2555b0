"""Requests from a patient's (or receptionist's) first tap to the practice's queue (services/inbox).

The wizard, in the order a request goes through it:

- ``subject``: who a request is about: may this account act for them, under 16 by the UK date,
  age in months, and how the questions are worded for them;
- ``drafts``: starting a draft (``check_start`` before any question, ``start_draft``), resuming
  it, saving answers, and the per-tab check every step makes (``open_draft``,
  ``open_staff_draft``);
- ``phone``: the practice taking a request by phone: its start checks (hours and limits can be
  overridden) and starting the receptionist's draft;
- ``screening``: the emergency screen, red-flag answers and emergency words typed into a request;
- ``questions``: where the wizard is, answers, Back and Change, anything else, preferences and the
  check-your-answers rows;
- ``submission``: sending it: last checks, triage for staff, who filled it in, the FHIR
  QuestionnaireResponse;
- ``lists``: "Your requests" (the practice's queue and request page are ``inbox.queue`` and ``inbox.request_view``).

Capacity, when a practice takes online requests and how many:

- ``request_settings``: a practice's settings as the rules read them (hours, limits, the off
  switch, closed days ahead), defaults filled in;
- ``rules``: availability now and every refusal reason in patient and staff words, and the next
  opening;
- ``capacity``: ``reserve_and_submit``, the rules checked again under the practice's locked
  counter row, and reference numbers;
- ``practice_settings``: an admin changing them (the settings form, closed days), with the
  core-hours reason and log.

Emergency advice given:

- ``signposts``: who was told to call 999 or 111 or shown the crisis lines, and the practice's
  "Signposted today" list;
- ``search_signposts``: recording emergency advice the topic search showed.
"""
