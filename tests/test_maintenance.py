from datetime import timedelta

from sqlmodel import select

from anima_pwa.models import Account, AuthSession, OneTimeToken, OutboxMessage, RateLimitHit, utcnow
from anima_pwa.services.identity import ratelimit
from anima_pwa.services.platform import maintenance


def test_purge_keeps_what_is_still_useful_and_deletes_the_rest(db_session):
    now = utcnow()
    account = Account(email="a@example.com", email_normalized="a@example.com")
    db_session.add(account)
    db_session.flush()
    limit = ratelimit.Limit("test_bucket", 5, timedelta(minutes=15))
    ratelimit.hit(db_session, limit, "old", now=now - timedelta(days=2))
    ratelimit.hit(db_session, limit, "new", now=now - timedelta(minutes=1))
    db_session.add_all(
        [
            AuthSession(
                id="a" * 64,
                account_id=account.id,
                created_at=now - timedelta(days=40),
                last_seen_at=now - timedelta(days=40),
                expires_at=now - timedelta(days=39),
            ),
            AuthSession(id="b" * 64, account_id=account.id, expires_at=now + timedelta(hours=12)),
            OneTimeToken(
                purpose="p", secret_hash="x" * 64, email_normalized="a@example.com", expires_at=now - timedelta(days=8)
            ),
            OneTimeToken(
                purpose="p", secret_hash="y" * 64, email_normalized="a@example.com", expires_at=now + timedelta(hours=1)
            ),
            OutboxMessage(
                to_address="a@example.com",
                subject="s",
                body_text="b",
                template="t",
                status="sent",
                created_at=now - timedelta(days=31),
            ),
            OutboxMessage(
                to_address="a@example.com",
                subject="s",
                body_text="b",
                template="t",
                status="pending",
                created_at=now - timedelta(days=31),
            ),
        ]
    )
    db_session.flush()

    report = maintenance.purge(db_session, now=now)

    assert (report.rate_limit_hits, report.sessions, report.tokens, report.outbox) == (1, 1, 1, 1)
    assert len(db_session.exec(select(RateLimitHit)).all()) == 1
    assert [s.id for s in db_session.exec(select(AuthSession)).all()] == ["b" * 64]
    assert [t.secret_hash for t in db_session.exec(select(OneTimeToken)).all()] == ["y" * 64]
    assert [m.status for m in db_session.exec(select(OutboxMessage)).all()] == ["pending"]
