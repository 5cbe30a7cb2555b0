"""The audit trail: who did what to which account or patient, and when.

Every staff read or change of patient data, and every security-relevant account event, gets a row.
``detail`` is a small JSON object of non-secret facts (ids, field names, outcomes): never clinical
content, and never passwords, tokens, codes, secrets or hashes; keys that look like those are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from sqlmodel import Session, col, select

from anima_pwa.models.accounts import Account
from anima_pwa.models.audit import AuditEvent

ACTOR_KINDS = frozenset({"patient", "staff", "system", "anonymous"})

# A key is refused if it contains one of these anywhere ("newPassword", "password_hash") ...
_SECRET_SUBSTRINGS = ("password", "passwd", "secret", "token", "hash")
# ... or has one of these as a whole word ("reset_code", "otp"; but "postcode" is allowed).
_SECRET_WORDS = frozenset({"code", "otp", "totp", "pin", "pwd"})
_WORD_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def looks_secret(key: str) -> bool:
    """True for detail keys that may hold a secret (password, token, code, secret, hash, ...)."""
    lowered = key.lower()
    if any(part in lowered for part in _SECRET_SUBSTRINGS):
        return True
    return any(word.lower() in _SECRET_WORDS for word in _WORD_RE.findall(key))


def _check_keys(value: object, path: str = "detail") -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"audit {path} keys must be strings, got {key!r}")
            if looks_secret(key):
                raise ValueError(f"audit {path} must not hold secrets: refused key {key!r}")
            _check_keys(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_keys(item, f"{path}[{index}]")


def encode_detail(detail: Mapping[str, object] | None) -> str:
    """JSON for the ``detail`` column; ValueError for secret-looking keys or non-JSON values."""
    if detail is None:
        return "{}"
    if not isinstance(detail, Mapping):
        raise ValueError("audit detail must be a dict")
    _check_keys(detail)
    try:
        return json.dumps(dict(detail), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit detail must be plain JSON values: {exc}") from None


def event_detail(event: AuditEvent) -> dict:
    """The decoded ``detail`` of an event ({} if empty or unreadable)."""
    try:
        value = json.loads(event.detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def record(
    session: Session,
    *,
    action: str,
    actor_account_id: int | None,
    actor_kind: str,
    account_id: int | None = None,
    patient_id: int | None = None,
    practice_id: int | None = None,
    ip: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Add an audit event in the caller's transaction (flushed, not committed).

    Raises ValueError for an empty or over-long action, an unknown ``actor_kind`` or a detail that
    could hold a secret.
    """
    action = (action or "").strip()
    if not action or len(action) > 60:
        raise ValueError("audit action must be 1 to 60 characters")
    if actor_kind not in ACTOR_KINDS:
        raise ValueError(f"audit actor_kind must be one of {', '.join(sorted(ACTOR_KINDS))}")
    event = AuditEvent(
        action=action,
        actor_account_id=actor_account_id,
        actor_kind=actor_kind,
        account_id=account_id,
        patient_id=patient_id,
        practice_id=practice_id,
        ip=(ip or "")[:64],
        detail=encode_detail(detail),
    )
    session.add(event)
    session.flush()
    return event


def record_staff(
    session: Session, staff, action: str, *, patient_id: int | None = None, detail: dict | None = None
) -> AuditEvent:
    """An event by a member of staff (a ``StaffContext``: their account, at their own practice)."""
    return record(
        session,
        action=action,
        actor_account_id=staff.account_id,
        actor_kind="staff",
        patient_id=patient_id,
        practice_id=staff.practice_id,
        detail=detail,
    )


def record_patient(
    session: Session,
    identity,
    action: str,
    *,
    patient_id: int | None,
    practice_id: int | None,
    detail: dict | None = None,
) -> AuditEvent:
    """An event by a patient's account (an ``Identity``, or None) about a patient it acts for."""
    return record(
        session,
        action=action,
        actor_account_id=identity.account_id if identity else None,
        actor_kind="patient",
        patient_id=patient_id,
        practice_id=practice_id,
        detail=detail,
    )


def record_own(
    session: Session, account: Account, action: str, *, ip: str = "", detail: dict | None = None
) -> AuditEvent:
    """An event an account does to itself (signing in, changing its password, switching MFA on):
    the account is both who acted and what the event is about."""
    return record(
        session,
        action=action,
        actor_account_id=account.id,
        actor_kind=account.kind,
        account_id=account.id,
        ip=ip,
        detail=detail,
    )


def record_holder(
    session: Session,
    account_id: int,
    action: str,
    *,
    patient_id: int | None,
    practice_id: int | None,
    ip: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """An event by a patient's account about a person it holds (themselves, a child, a care
    home's resident): the account acted, on its own behalf, about that person."""
    return record(
        session,
        action=action,
        actor_account_id=account_id,
        actor_kind="patient",
        account_id=account_id,
        patient_id=patient_id,
        practice_id=practice_id,
        ip=ip,
        detail=detail,
    )


def trail(
    session: Session,
    *,
    patient_id: int | None = None,
    account_id: int | None = None,
    limit: int = 200,
    leave_out: tuple[str, ...] = (),
) -> list[AuditEvent]:
    """Events about a patient and/or an account (both filters apply together), newest first,
    without the actions in ``leave_out`` (left out in the query, so they never use up ``limit``)."""
    query = select(AuditEvent)
    if leave_out:
        query = query.where(col(AuditEvent.action).notin_(leave_out))
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if account_id is not None:
        query = query.where(AuditEvent.account_id == account_id)
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return list(session.exec(query.limit(max(1, min(limit, 1000)))).all())
