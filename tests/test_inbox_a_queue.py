"""The practice's queue (services/inbox/queue.py): most urgent first then oldest first, ordered and
paged in SQL; filters and their counts; waited time; the core-hours "no response today" mark."""

from __future__ import annotations

from datetime import timedelta

import pytest

from anima_pwa.models import URGENCY_RANKS
from anima_pwa.services.inbox import queue
from anima_pwa.services.practice.permissions import PermissionDenied
from tests.factories import audit_events
from tests.inbox_a_world import NOW, Desk, desk_fixture, now_fixture  # noqa: F401


def test_an_urgent_request_sent_after_150_routine_ones_is_first_on_page_one(desk: Desk) -> None:
    for n in range(150):
        desk.request(minutes_ago=2000 - n)
    urgent = desk.request(minutes_ago=1, urgency="urgent_today")
    found = queue.queue(desk.db, desk.reception)
    assert found.rows[0].id == urgent.id
    assert found.total == 151 and found.pages == 7 and len(found.rows) == queue.PAGE_SIZE
    # then oldest first
    assert [r.waited for r in found.rows[1:3]] == ["1 day", "1 day"]
    submitted = [r.id for r in found.rows[1:]]
    assert submitted == sorted(submitted)


def test_pages_hold_every_request_once_in_order(desk: Desk) -> None:
    made = [desk.request(minutes_ago=100 - n) for n in range(60)]
    seen = []
    for page in (1, 2, 3):
        result = queue.queue(desk.db, desk.reception, page=page)
        assert result.page == page
        seen += [r.id for r in result.rows]
    assert seen == [r.id for r in made]
    # nonsense and too-large pages: the first and the last
    assert queue.queue(desk.db, desk.reception, page="x; drop").page == 1
    assert queue.queue(desk.db, desk.reception, page="99").page == 3


def test_only_open_requests_of_the_staff_members_practice(desk: Desk) -> None:
    mine = desk.request()
    desk.request(status="resolved")
    desk.request(status="closed")
    desk.request(status="draft")
    theirs = desk.request(practice_id=desk.other_practice.id)
    assert [r.id for r in queue.queue(desk.db, desk.reception).rows] == [mine.id]
    assert [r.id for r in queue.queue(desk.db, desk.elsewhere).rows] == [theirs.id]


def test_filters_and_counts(desk: Desk) -> None:
    gp = desk.request(minutes_ago=50)
    admin = desk.request(minutes_ago=40, kind="admin", team="reception")
    nurse = desk.request(minutes_ago=30, team="gp", assigned_team="nurse", status="assigned")
    mine = desk.request(minutes_ago=20, assigned_staff_id=desk.reception.staff_id, status="assigned")
    theirs = desk.request(minutes_ago=10, assigned_staff_id=desk.clinician.staff_id, status="awaiting_patient")

    def ids(**raw) -> list[int]:
        return [r.id for r in queue.queue(desk.db, desk.reception, queue.parse_filter(raw)).rows]

    assert ids(team="gp") == [gp.id, mine.id, theirs.id]  # the assigned team wins over the suggested one
    assert ids(team="nurse") == [nurse.id]
    assert ids(kind="admin") == [admin.id]
    assert ids(status="assigned") == [nurse.id, mine.id]
    assert ids(assignee="unassigned") == [gp.id, admin.id, nurse.id]
    assert ids(assignee="me") == [mine.id]
    assert ids(assignee=str(desk.clinician.staff_id)) == [theirs.id]
    assert ids(assignee=str(desk.clinician.staff_id), status="assigned") == []
    # nonsense is no filter
    assert len(ids(team="x", status="resolved", kind="1 OR 1=1", assignee="-3")) == 5

    counts = queue.queue(desk.db, desk.reception).counts
    assert counts["team"] == {"gp": 3, "reception": 1, "nurse": 1}
    assert counts["kind"] == {"medical": 4, "admin": 1}
    assert counts["status"] == {"submitted": 2, "assigned": 2, "awaiting_patient": 1}
    assert counts["assignee"] == {
        "unassigned": 3,
        str(desk.reception.staff_id): 1,
        "me": 1,
        str(desk.clinician.staff_id): 1,
    }


def test_counts_come_from_one_grouped_query(desk: Desk) -> None:
    from sqlalchemy import event

    for n in range(30):
        desk.request(minutes_ago=n + 1, team=("gp", "nurse", "reception")[n % 3])
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engine = desk.db.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        queue.queue(desk.db, desk.reception)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 5, selects  # total, page, counts, staff names: not one per option


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(0, "Just now"), (1, "1 minute"), (59, "59 minutes"), (60, "1 hour"), (150, "2 hours"), (1440, "1 day"),
     (4320, "3 days")],
)  # fmt: skip
def test_waited_in_words(minutes: int, words: str) -> None:
    assert queue.waited(NOW - timedelta(minutes=minutes), NOW) == words


def test_mark_for_a_core_hours_request_with_no_first_response(desk: Desk) -> None:
    # NOW is 10:00 on a Wednesday in London; core hours began at 08:00.
    fresh = desk.request(minutes_ago=60)
    answered = desk.request(minutes_ago=90, first_response_at=NOW - timedelta(minutes=5))
    assigned_only = desk.request(minutes_ago=100, assigned_staff_id=desk.clinician.staff_id, status="assigned")
    before_core = desk.request(minutes_ago=150)  # 07:30
    yesterday = desk.request(minutes_ago=60 * 24)
    marks = {r.id: r.no_response_today for r in queue.queue(desk.db, desk.reception).rows}
    assert marks == {
        fresh.id: True,
        answered.id: False,
        assigned_only.id: True,  # assignment is not a response
        before_core.id: False,
        yesterday.id: False,
    }


def test_every_look_is_audited_and_other_staff_cannot(desk: Desk) -> None:
    desk.request()
    queue.queue(desk.db, desk.clinician, queue.parse_filter({"kind": "medical"}), page=1)
    (event,) = audit_events(desk.db, "request_list_viewed")
    assert event.actor_account_id == desk.clinician.account_id and event.actor_kind == "staff"
    with pytest.raises(PermissionDenied):
        queue.queue(desk.db, None)


def test_submission_sets_the_urgency_rank(world, clock) -> None:  # noqa: ANN001
    from tests.request_world import send

    sent = send(world, "back-pain")
    assert sent.urgency_rank == URGENCY_RANKS[sent.urgency]
