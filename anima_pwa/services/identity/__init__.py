"""Who someone is and how they prove it.

- ``accounts``: email sign-up (the password is chosen from the emailed link), sign-in with
  device-cookie throttling, the MFA step, sign-out;
- ``password_reset``: resetting a password by emailed code, and what follows any new password;
- ``sessions``: server-side sessions and the single-use handoff to the HttpOnly cookie;
- ``passwords``: argon2id hashing and the password rules;
- ``mfa``: multi-factor authentication with an authenticator app (TOTP): checking a code,
  the shared limit on wrong codes, switching it off;
- ``mfa_setup``: setting it up: the key, the QR code, confirming with a first code;
- ``recovery_codes``: the ten single-use recovery codes;
- ``tokens``: single-use emailed links and codes (stored as keyed hashes);
- ``password_setup``: the emailed "Set your password" link of an account the practice made;
- ``account_settings``: email change, password change, preferences;
- ``ratelimit``: sliding-window limits in the database;
- ``devices``: device cookies (OWASP's scheme against password guessing).
"""
