"""Requests from a patient's (or receptionist's) first tap to the practice's list.

- ``drafts``: drafts, the emergency screen, answers, submission, "Your requests", the practice's
  request list, and phone requests;
- ``capacity``: online-request hours, closed days and limits, checked before any question and
  again, under a lock, at submission;
- ``signposts``: who was told to call 999 or 111 or shown the crisis lines, and the practice's
  "Signposted today" list;
- ``search_signposts``: recording emergency advice the topic search showed.
"""
