"""A retry never doubles anything (issue 14; HAZ-096): a request, a patient's reply, a message to a
patient and a booking each happen once, whether the same key comes again later (a retry after a
dropped connection) or twice at the same moment (two workers, a double tap). On SQLite and, with
ANIMA_TEST_POSTGRES_URL, PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from anima_pwa.models import Appointment, IdempotencyKey, Request, RequestMessage
from anima_pwa.services.appointments import booking
from anima_pwa.services.inbox import replies, staff_actions
from anima_pwa.services.platform import idempotency
from anima_pwa.services.requests import capacity
from anima_pwa.services.requests.capacity import reserve_and_submit
from tests.appointment_world import generate, invite, london, make_world, patient_with_account
from tests.inbox_a_world import build_desk
from tests.inbox_patient_world import patient_world, practice_message, sent_request
from tests.race import at_once
from tests.test_capacity import NOW as SUBMIT_NOW
from tests.test_capacity import counted, draft, person, setup_practice, submitted_requests

BOOK_NOW = london(2026, 3, 21, 10)


def _messages(session: Session, request_id: int, kind: str) -> int:
    return session.exec(
        select(func.count()).where(RequestMessage.request_id == request_id, RequestMessage.author_kind == kind)
    ).one()


def _meet(n: int = 2):
    """Each attempt waits here until all have started, so they really act at once."""
    barrier = threading.Barrier(n, timeout=30)
    return lambda: barrier.wait()


# --- a message to the patient ------------------------------------------------------------------------


def test_a_staff_message_sent_again_with_its_key_is_the_first_one(db_session: Session) -> None:
    desk = build_desk(db_session)
    request = desk.request()
    key = idempotency.new_key()
    first = staff_actions.send_message(db_session, desk.clinician, request.id, "We are looking at it.", key=key)
    again = staff_actions.send_message(db_session, desk.clinician, request.id, "We are looking at it.", key=key)
    assert first.ok and again.ok and again.message_id == first.message_id
    assert _messages(db_session, request.id, "staff") == 1  # type: ignore[arg-type]
    other = staff_actions.send_message(db_session, desk.clinician, request.id, "Any better?", key="another")
    assert other.ok and other.message_id != first.message_id and _messages(db_session, request.id, "staff") == 2  # type: ignore[arg-type]
    # Refused (nothing typed): the key is not used up, so the corrected message is sent.
    empty = staff_actions.send_message(db_session, desk.clinician, request.id, "  ", key="third")
    assert not empty.ok
    assert staff_actions.send_message(db_session, desk.clinician, request.id, "Now typed", key="third").ok
    assert _messages(db_session, request.id, "staff") == 3  # type: ignore[arg-type]


def test_two_staff_sends_at_once_with_one_key_make_one_message(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        desk = build_desk(session)
        request_id = desk.request().id
        session.commit()
    meet = _meet()

    def send(session: Session):
        meet()
        return staff_actions.send_message(session, desk.clinician, request_id, "Hello", key="same-key")

    results, failures = at_once(engine, {"first": send, "second": send})
    assert not failures, failures
    assert results["first"].ok and results["first"].message_id == results["second"].message_id
    with Session(engine) as session:
        assert _messages(session, request_id, "staff") == 1  # type: ignore[arg-type]


# --- the patient's reply ----------------------------------------------------------------------------


def test_a_reply_sent_again_with_its_key_is_the_first_one_not_already_answered(db_session: Session) -> None:
    w = patient_world(db_session)
    request = sent_request(w, w.lily, w.mum)
    practice_message(w, request)
    first = replies.reply(w.db, w.mum, request.id, "It is better today.", key="reply-key")
    again = replies.reply(w.db, w.mum, request.id, "It is better today.", key="reply-key")
    assert first.ok and again.ok and again.message_id == first.message_id
    assert _messages(db_session, request.id, "patient") == 1  # type: ignore[arg-type]
    # Without the key it is the old answer: already answered.
    assert replies.reply(w.db, w.mum, request.id, "Again").errors == {"form": replies.ALREADY_ANSWERED}


def test_two_replies_at_once_with_one_key_make_one(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        w = patient_world(session)
        request = sent_request(w, w.lily, w.mum)
        practice_message(w, request)
        session.commit()
        mum, request_id = w.mum, request.id
    meet = _meet()

    def reply(session: Session):
        meet()
        return replies.reply(session, mum, request_id, "Here you are.", key="one-reply")

    results, failures = at_once(engine, {"first": reply, "second": reply})
    assert not failures, failures
    assert results["first"].ok and results["second"].ok
    assert results["first"].message_id == results["second"].message_id
    with Session(engine) as session:
        assert _messages(session, request_id, "patient") == 1  # type: ignore[arg-type]


# --- booking ----------------------------------------------------------------------------------------


def _booking_world(session: Session):
    world = make_world(session)
    generate(session, world, BOOK_NOW)
    zoe, zoe_id = patient_with_account(session, world, "Zoe Smith", "zoe@example.com", "+447700900001")
    invite_id = invite(session, world, zoe, BOOK_NOW)
    times, _ = booking.free_times(session, zoe_id, invite_id, "2026-03-23", BOOK_NOW)
    return zoe_id, invite_id, times


def _live_appointments(session: Session) -> int:
    return session.exec(select(func.count()).where(Appointment.cancelled_at == None)).one()  # noqa: E711


def test_a_booking_confirmed_again_with_its_key_is_the_first_one_not_used(db_session: Session) -> None:
    zoe_id, invite_id, times = _booking_world(db_session)
    first = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, BOOK_NOW, key="book-key")
    again = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, BOOK_NOW, key="book-key")
    assert first.ok and again.ok and again.appointment_id == first.appointment_id
    assert _live_appointments(db_session) == 1
    # Without the key: the invite is used.
    assert not booking.book(db_session, zoe_id, invite_id, times[1].slot_id, BOOK_NOW).ok


def test_two_confirms_at_once_with_one_key_make_one_booking(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        zoe_id, invite_id, times = _booking_world(session)
        session.commit()
    slot_id = times[0].slot_id
    meet = _meet()

    def confirm(session: Session):
        meet()
        return booking.book(session, zoe_id, invite_id, slot_id, BOOK_NOW, key="one-booking")

    results, failures = at_once(engine, {"first": confirm, "second": confirm})
    assert not failures, failures
    assert results["first"].ok and results["second"].ok, (results["first"].errors, results["second"].errors)
    assert results["first"].appointment_id == results["second"].appointment_id
    with Session(engine) as session:
        assert _live_appointments(session) == 1


# --- the request itself: the draft is its key --------------------------------------------------------


def test_one_draft_sent_twice_at_once_is_one_request(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        practice_id, _ = setup_practice(session)
        request_id = draft(session, person(session, practice_id, "Zoe Smith")).id
        session.commit()
    meet = _meet()

    def send(session: Session):
        mine = session.get(Request, request_id)
        meet()
        return reserve_and_submit(session, request=mine, now=SUBMIT_NOW)  # type: ignore[arg-type]

    results, failures = at_once(engine, {"first": send, "second": send})
    assert not failures, failures
    assert sorted(results.values(), key=str) == sorted([None, capacity.ALREADY_SENT], key=str)
    with Session(engine) as session:
        assert submitted_requests(session, practice_id) == 1 and counted(session, practice_id) == 1


# --- keys ------------------------------------------------------------------------------------------


def test_old_keys_are_forgotten(db_session: Session) -> None:
    assert idempotency.claim(db_session, "old", "reply") is None
    idempotency.settle(db_session, "old", "reply", 5)
    assert idempotency.claim(db_session, "old", "reply") == 5
    assert idempotency.claim(db_session, "old", "booking") is None  # each action its own
    later = idempotency.clock.utcnow() + idempotency.KEEP + timedelta(minutes=1)
    assert idempotency.forget_old(db_session, later) == 2
    assert db_session.exec(select(func.count()).select_from(IdempotencyKey)).one() == 0


def test_no_key_or_a_strange_one_means_no_idempotency(db_session: Session) -> None:
    assert idempotency.claim(db_session, "", "reply") is None
    assert idempotency.claim(db_session, None, "reply") is None
    assert idempotency.claim(db_session, "x" * 65, "reply") is None
    assert db_session.exec(select(func.count()).select_from(IdempotencyKey)).one() == 0


def test_a_key_taken_while_this_attempt_waited_gives_the_first_result(engine: Engine, monkeypatch) -> None:
    """The database's unique key is what settles two attempts at once: the second's insert fails,
    and its transaction carries on to answer with the first's result."""
    with Session(engine) as first:
        assert idempotency.claim(first, "raced", "reply") is None
        idempotency.settle(first, "raced", "reply", 41)
        first.commit()
    real_row = idempotency._row
    looks = iter([None])  # the second attempt's first look came before the first committed
    monkeypatch.setattr(idempotency, "_row", lambda *args: next(looks, "real") and real_row(*args))
    with Session(engine) as second:
        assert idempotency.claim(second, "raced", "reply") == 41
        second.exec(select(func.count()).select_from(IdempotencyKey)).one()  # still usable
        second.commit()
