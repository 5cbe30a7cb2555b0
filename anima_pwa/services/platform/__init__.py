"""What every capability uses.

- ``audit``: the audit trail;
- ``notifications``: the email outbox and its sender;
- ``validation``: NHS numbers, postcodes, phones, emails, names, dates;
- ``results``: the one result type a service fails with (field errors);
- ``clock``: UTC now and UK dates and times (a practice's today, ages, opening hours);
- ``text_limits``: free-text limits, the one check every field uses (nothing is cut);
- ``crypto``: encryption at rest with keys derived from the secret key;
- ``bank_holidays``: bank holidays in England and Wales;
- ``demo``: the demo practices, registers and staff;
- ``maintenance``: housekeeping of expired rows.
"""
