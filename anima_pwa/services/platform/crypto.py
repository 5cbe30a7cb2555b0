"""Encryption at rest with keys derived from the app's secret key (Fernet, HKDF-SHA256).

Each use has its own `purpose`, so a value encrypted for one use (an MFA key, a session token
waiting to be handed to its browser) can't be decrypted as another.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from anima_pwa.settings import settings

__all__ = ["decrypt", "encrypt"]


@lru_cache(maxsize=8)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(purpose: str, text: str) -> str:
    """`text` encrypted and authenticated for `purpose`."""
    return _fernet(settings.secret_key, purpose).encrypt(text.encode()).decode("ascii")


def decrypt(purpose: str, token: str) -> str:
    """`text` back; ValueError if it was not encrypted for `purpose` with this app's secret key."""
    try:
        return _fernet(settings.secret_key, purpose).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        raise ValueError(f"can't decrypt this {purpose} value: was ANIMA_SECRET_KEY changed?") from None
