"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import contextlib
import string
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH",
    "check_password",
    "hash_password",
    "is_common_password",
    "needs_rehash",
    "verify_against_dummy",
    "verify_password",
]

MIN_LENGTH = 8
MAX_LENGTH = 128

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "common_passwords.txt"

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters

# The hash of a random password nobody knows, made with the same parameters as _hasher, so that
# checking a password for an email with no account costs as much as for one that exists.
# tests/test_passwords.py fails if the parameters drift apart.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$o2Fs3KjPeQ6oKV3irzPwyA$RMt5TRyyqE3j4/CMXvcFdalO8IO1Bhh6KDA13xJsEBo"

_TRAILING_JUNK = string.digits + string.punctuation + string.whitespace


def hash_password(password: str) -> str:
    """An argon2id hash (with its own random salt) to store instead of the password."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if the password matches; False on a mismatch or a missing or unreadable hash."""
    if not stored_hash:
        verify_against_dummy(password)  # take the same time as a real check
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (Argon2Error, InvalidHashError, TypeError, ValueError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True if the hash was made with older parameters (or is unreadable) and should be replaced."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (Argon2Error, InvalidHashError, TypeError, ValueError):
        return True


def verify_against_dummy(password: str) -> None:
    """Spend the time of one password check, for when there is no account to check against."""
    with contextlib.suppress(Argon2Error, InvalidHashError, TypeError, ValueError):
        _hasher.verify(_DUMMY_HASH, password)


@cache
def _common_passwords() -> frozenset[str]:
    """The common-password list, read once on first use."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    """True if the password, ignoring case and any digits or symbols on the end, is a common one."""
    lowered = password.lower()
    common = _common_passwords()
    if lowered in common:
        return True
    stem = lowered.rstrip(_TRAILING_JUNK)
    return bool(stem) and stem in common


def _missing_character_kinds(password: str) -> list[str]:
    missing = []
    if not any(ch.isupper() for ch in password):
        missing.append("an upper case letter")
    if not any(ch.islower() for ch in password):
        missing.append("a lower case letter")
    if not any(ch.isdecimal() for ch in password):
        missing.append("a number")
    return missing


def _join_with_and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_password(password: str, *, email: str | None = None) -> str | None:
    """None if the password is acceptable for a new account, otherwise what to show by the field."""
    if not password:
        return "Enter a password"
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    missing = _missing_character_kinds(password)
    if missing:
        return f"Password must include {_join_with_and(missing)}"
    if email:
        local = email.strip().rsplit("@", 1)[0].lower()
        lowered = password.lower()
        for part in {local, local.split("+", 1)[0]}:
            if len(part) >= 4 and part in lowered:
                return "Password must not contain your email address"
    if is_common_password(password):
        return "This password is too common. Choose one that would be harder to guess"
    return None
