"""People registered at a practice, and the accounts that hold them.

- ``registration``: the details form after first sign-in;
- ``verification``: automatic verification against the practice register, and claims on an NHS
  number (only a verified record owns one);
- ``dependants``: children, relatives and care-home residents an account holds, holder approval,
  and who a request can be for.
"""
