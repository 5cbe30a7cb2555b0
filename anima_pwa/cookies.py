"""The two cookies the server sets, and reading them from a request's Cookie header.

Both are set only by HTTP responses from the server (anima_pwa.http), HttpOnly (no script can
read them), SameSite=Strict, Path=/, and Secure with the `__Host-` name prefix when the app is
served over https. The websocket's handshake carries them, so Reflex handlers read them from
`router.headers.cookie`; they are never in a state var.

- the session cookie: the sign-in session's random token (services.identity.sessions);
- the device cookie: proof this browser signed in to an account before (services.identity.devices).

And a third, not a secret: the practice whose own link `/p/<ODS code>` this browser opened last
(services.practice.practice_link), so sign-up preselects it. HttpOnly too, but SameSite=Lax: the
link is followed from the practice's website, texts and QR codes, which are other sites.
"""

from __future__ import annotations

from datetime import timedelta

from anima_pwa.services.identity import devices, sessions
from anima_pwa.settings import settings

__all__ = ["DEVICE", "PRACTICE", "SESSION", "clear", "names", "practice_cookie", "read", "set_cookie"]


def names(secure: bool) -> tuple[str, str]:
    """(session, device) cookie names: with the `__Host-` prefix over https, which browsers
    accept only with Secure, Path=/ and no Domain (so no subdomain can set or shadow them)."""
    prefix = "__Host-" if secure else ""
    return f"{prefix}anima_session", f"{prefix}anima_device"


SESSION, DEVICE = names(settings.secure_cookies)
_LIFETIMES = {"anima_session": sessions.ABSOLUTE_TIMEOUT, "anima_device": devices.COOKIE_LIFETIME}


def read(cookie_header: str | None, name: str) -> str:
    """One cookie's value from a Cookie header ("" if absent). Tolerates malformed headers."""
    for part in (cookie_header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return ""


def _attributes(max_age: int) -> str:
    secure = "; Secure" if settings.secure_cookies else ""
    return f"Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


def set_cookie(name: str, value: str, lifetime: timedelta | None = None) -> str:
    """A Set-Cookie header value for one of the two cookies."""
    seconds = int((lifetime or _LIFETIMES[name.removeprefix("__Host-")]).total_seconds())
    return f"{name}={value}; {_attributes(seconds)}"


def clear(name: str) -> str:
    """A Set-Cookie header value that deletes the cookie."""
    return f"{name}=; {_attributes(0)}"


PRACTICE = ("__Host-" if settings.secure_cookies else "") + "anima_practice"
PRACTICE_LIFETIME = timedelta(days=30)


def practice_cookie(ods_code: str) -> str:
    """A Set-Cookie header value naming the practice of the link this browser opened."""
    secure = "; Secure" if settings.secure_cookies else ""
    seconds = int(PRACTICE_LIFETIME.total_seconds())
    return f"{PRACTICE}={ods_code}; Path=/; Max-Age={seconds}; HttpOnly; SameSite=Lax{secure}"
