"""Plain helpers the test modules share: valid NHS numbers, rows made directly (without the services
under test), and reading back what a service wrote. Fixtures are in conftest.py.

Every maker adds its row and flushes, so the row has its id; none commits.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func
from sqlmodel import Session, select

from anima_pwa.models import AuditEvent, OutboxMessage
from anima_pwa.services import notifications
from anima_pwa.services.validation import nhs_number_is_valid

# --- NHS numbers ------------------------------------------------------------------------------


def nhs_check_digit(nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, worked out independently of the code under test;
    None where the remainder makes it 10 (no number starting with these digits is valid)."""
    total = sum(int(d) * w for d, w in zip(nine, [10, 9, 8, 7, 6, 5, 4, 3, 2], strict=True))
    remainder = 11 - total % 11
    return {11: 0, 10: None}.get(remainder, remainder)


def valid_nhs_number(prefix: str) -> str:
    """A valid NHS number starting with these 9 digits (Modulus 11), which the app also accepts."""
    check = nhs_check_digit(prefix)
    assert check is not None, prefix
    number = prefix + str(check)
    assert nhs_number_is_valid(number), number
    return number


# --- reading back what was written ------------------------------------------------------------


def count(db: Session, model) -> int:
    """How many rows ``model``'s table has, pending changes flushed first."""
    db.flush()
    return db.exec(select(func.count()).select_from(model)).one()


def audit_actions(db: Session) -> list[str]:
    """Every audit event's action, oldest first."""
    db.flush()
    return list(db.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def audit_events(db: Session, action: str | None = None) -> list[AuditEvent]:
    """The audit events (only those with this action, if given), oldest first."""
    db.flush()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.exec(query).all())


def outbox(db: Session, template: str | None = None, to: str | None = None) -> list[OutboxMessage]:
    """The queued emails (only this template's, or only those to this exact address, if given), oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.exec(query).all())


def link_token(message: OutboxMessage, base_url: str, path: str) -> str:
    """The token of the one link to ``path`` in an email, checked to be ``{base_url}{path}?token=...``."""
    (url,) = [link for link in notifications.extract_links(message.body_text) if path in link]
    assert url.startswith(f"{base_url}{path}?token=")
    return parse_qs(urlsplit(url).query)["token"][0]
