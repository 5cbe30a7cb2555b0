"""Device cookies: sign-in throttling that stops guessing without locking out the owner.

This is OWASP's "Slow Down Online Guessing Attacks with Device Cookies" scheme. A browser that
has signed in to an account before holds a device cookie for that account: a random nonce and
an HMAC of (account login, nonce) under the app's secret key, set HttpOnly by the server after
each successful sign-in. At sign-in:

- from a browser with a valid device cookie for that login (a *known device*), attempts are
  counted per device cookie: one device that keeps guessing locks out only itself;
- from any other browser (an *unknown device*), attempts are counted per account across all
  unknown devices, and per network address as before.

So someone who knows an email address and guesses passwords locks out unknown devices only: the
owner, on the phone or computer they signed in from before, still signs in. (Someone on a new
device during an attack waits, or resets the password by email, which clears the count.)

One cookie holds entries for up to `MAX_ENTRIES` logins (a family sharing a tablet); the newest
first. Entries can't be read without the secret key and say nothing about the account.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from anima_pwa.settings import settings

__all__ = ["COOKIE_LIFETIME", "MAX_ENTRIES", "remember", "trusted_entry"]

MAX_ENTRIES = 5
COOKIE_LIFETIME = timedelta(days=180)
_ENTRY = re.compile(r"^[A-Za-z0-9_-]{16}\.[0-9a-f]{32}$")


def _signature(login: str, nonce: str) -> str:
    message = f"device:{login.casefold()}:{nonce}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def _entries(cookie_value: str) -> list[str]:
    return [entry for entry in (cookie_value or "")[:2000].split("~") if _ENTRY.match(entry)][: MAX_ENTRIES * 2]


def _valid_for(entry: str, login: str) -> bool:
    nonce, signature = entry.split(".")
    return hmac.compare_digest(signature, _signature(login, nonce))


def trusted_entry(cookie_value: str, login: str) -> str | None:
    """The device cookie's entry for `login` (a normalised email) if it holds a valid one."""
    if not login:
        return None
    return next((entry for entry in _entries(cookie_value) if _valid_for(entry, login)), None)


def remember(cookie_value: str, login: str) -> str:
    """The device cookie after a successful sign-in to `login`: a fresh entry first, this login's
    older entry dropped, at most `MAX_ENTRIES` in all."""
    nonce = secrets.token_urlsafe(12)  # 16 characters
    fresh = f"{nonce}.{_signature(login, nonce)}"
    others = [entry for entry in _entries(cookie_value) if not _valid_for(entry, login)]
    return "~".join([fresh, *others][:MAX_ENTRIES])
