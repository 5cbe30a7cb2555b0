""" "Signposted today" (services.requests.signposts): the practice's own patients told to call 999 or 111,
or shown the crisis lines, today (the UK day), with the advice given and nothing clinical; each
viewing audited; a "followed up" mark with who and when, audited; only the practice's own staff,
as the permission table says; any id from a browser that is not one of theirs refused alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from anima_pwa.models import AuditEvent, EmergencySignpost
from anima_pwa.services.platform import audit
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import PermissionDenied
from anima_pwa.services.requests import signposts
from tests.factories import audit_events, count, link, make_patient, make_practice, make_staff, self_account

# 29 March 2026 is the day the clocks go forward: the UK day is 23 hours long.
NOON = datetime(2026, 3, 29, 11, 0, tzinfo=UTC)  # 12:00 BST


@pytest.fixture
def scene(db_session):
    db = db_session
    ours = make_practice(db, "A81001", "Riverside Surgery")
    theirs = make_practice(db, "B82002", "Hillside Practice")
    zoe = make_patient(db, ours, "Zoe Smith", email="zoe@example.com")
    leo = make_patient(db, ours, "Leo Smith")
    link(db, self_account(db, zoe), leo, "dependant")
    far = make_patient(db, theirs, "Far Away", email="far@example.com")
    staff = {role: make_staff(db, ours, role) for role in permissions.ROLES}
    staff["elsewhere"] = make_staff(db, theirs, "admin")
    zoe_account = self_account(db, zoe).id

    def signpost(patient, practice, at, *, advices=("999",), source="emergency_screen", flags=("rf-chest-pain",)):
        row = signposts.record(
            db,
            patient_id=patient.id,
            practice_id=practice.id,
            topic="headache",
            source=source,
            flags=list(flags),
            advices=list(advices),
            account_id=zoe_account if patient is not far else None,
        )
        row.at = at
        db.add(row)
        db.flush()
        return row

    rows = {
        "leo-999-crisis": signpost(leo, ours, NOON, advices=("999", "crisis"), flags=("rf-chest-pain", "rf-suicide")),
        "zoe-phq9": signpost(
            zoe, ours, NOON - timedelta(hours=2), advices=("crisis",), source="answer", flags=("phq9-9",)
        ),
        "zoe-search": signpost(
            zoe, ours, NOON - timedelta(hours=3), advices=("111",), source="search", flags=("cannot-wait",)
        ),
        "first-minute": signpost(
            zoe, ours, datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
        ),  # 00:00 GMT, the day's first minute
        "yesterday": signpost(zoe, ours, datetime(2026, 3, 28, 23, 59, tzinfo=UTC)),  # 23:59 GMT the day before
        "tomorrow": signpost(zoe, ours, datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),  # 00:00 BST on 30 March
        "elsewhere": signpost(far, theirs, NOON),
    }
    db.commit()
    return {"db": db, "staff": staff, "rows": rows, "leo": leo, "zoe": zoe}


def test_only_todays_signposts_of_this_practice_newest_first(scene):
    found = signposts.todays_signposts(scene["db"], scene["staff"]["receptionist"], now=NOON)
    rows = scene["rows"]
    assert [r.id for r in found] == [rows[k].id for k in ("leo-999-crisis", "zoe-phq9", "zoe-search", "first-minute")]
    leo = found[0]
    assert (leo.time, leo.patient_name, leo.patient_id, leo.advice, leo.where, leo.followed_up) == (
        "12:00", "Leo Smith", scene["leo"].id, ["999", "Crisis lines"], "Emergency questions", "",
    )  # fmt: skip
    assert leo.filled_in_by == "Zoe Smith (account holder, who holds Leo Smith as a dependant)"
    assert [(r.time, r.where) for r in found[1:]] == [
        ("10:00", "PHQ-9 question 9"),
        ("09:00", "Topic search"),
        ("00:00", "Emergency questions"),
    ]
    # The other practice sees only its own.
    theirs = signposts.todays_signposts(scene["db"], scene["staff"]["elsewhere"], now=NOON)
    assert [r.id for r in theirs] == [rows["elsewhere"].id]


def test_the_list_holds_no_clinical_detail(scene):
    found = signposts.todays_signposts(scene["db"], scene["staff"]["clinician"], now=NOON)
    shown = json.dumps([vars(r) for r in found])
    for flag in ("rf-chest-pain", "rf-suicide", "phq9-9", "cannot-wait", "headache"):
        assert flag not in shown


def test_each_viewing_is_audited(scene):
    db, staff = scene["db"], scene["staff"]["clinician"]
    signposts.todays_signposts(db, staff, now=NOON)
    [event] = audit_events(db, "signposted_list_viewed")
    assert (event.actor_account_id, event.actor_kind, event.practice_id) == (
        staff.account_id,
        "staff",
        staff.practice_id,
    )
    assert audit.event_detail(event) == {"results": 4}


@pytest.mark.parametrize("role", permissions.ROLES)
def test_every_role_of_the_practice_may_view_and_follow_up(role, scene):
    """Reception usually makes the follow-up call; clinicians and practice admins may too. The
    list holds only the advice given, less than the request list every role already reads."""
    db, staff = scene["db"], scene["staff"][role]
    assert staff.can(permissions.Action.VIEW_SIGNPOSTS) and staff.can(permissions.Action.FOLLOW_UP_SIGNPOSTS)
    assert len(signposts.todays_signposts(db, staff, now=NOON)) == 4
    marked = signposts.mark_followed_up(db, staff, scene["rows"]["leo-999-crisis"].id, now=NOON + timedelta(minutes=32))
    assert marked.followed_up == f"{staff.display_name} at 12:32"


def test_following_up_records_who_and_when_once_and_is_audited(scene):
    db, rows = scene["db"], scene["rows"]
    first, second = scene["staff"]["receptionist"], scene["staff"]["admin"]
    row = rows["zoe-phq9"]
    marked = signposts.mark_followed_up(db, first, str(row.id), now=NOON + timedelta(minutes=5))
    assert marked.followed_up == f"{first.display_name} at 12:05"
    stored = db.get(EmergencySignpost, row.id)
    assert (stored.followed_up_by_staff_id, stored.followed_up_at) == (first.staff_id, NOON + timedelta(minutes=5))
    [event] = audit_events(db, "signpost_followed_up")
    assert (event.actor_account_id, event.patient_id, audit.event_detail(event)) == (
        first.account_id,
        scene["zoe"].id,
        {"signpost": row.id},
    )
    # A second mark does not change who did it.
    again = signposts.mark_followed_up(db, second, row.id, now=NOON + timedelta(hours=1))
    assert again.followed_up == f"{first.display_name} at 12:05"
    assert len(audit_events(db, "signpost_followed_up")) == 1
    listed = {r.id: r.followed_up for r in signposts.todays_signposts(db, second, now=NOON)}
    assert listed[row.id] == f"{first.display_name} at 12:05" and listed[rows["zoe-search"].id] == ""


BAD_IDS = ["1 OR 1=1", None, "abc", "", " ", "1.0", 1.5, True, False, -1, 0, "9" * 30, 2**40, [1], {"id": 1}, b"1"]


@pytest.mark.parametrize("bad", BAD_IDS + ["missing", "elsewhere"], ids=repr)
def test_any_id_that_is_not_one_of_the_practices_signposts_is_refused_alike(scene, bad):
    db = scene["db"]
    signpost_id = (
        {"missing": 99_999, "elsewhere": scene["rows"]["elsewhere"].id}.get(bad, bad) if isinstance(bad, str) else bad
    )
    audits = count(db, AuditEvent)
    with pytest.raises(PermissionDenied) as refused:
        signposts.mark_followed_up(db, scene["staff"]["admin"], signpost_id)
    assert refused.value.message == signposts.NOT_FOUND
    assert count(db, AuditEvent) == audits
    assert db.exec(select(EmergencySignpost).where(EmergencySignpost.followed_up_at != None)).all() == []  # noqa: E711


def test_no_one_but_signed_in_staff_may_see_or_mark(scene):
    db = scene["db"]
    for call in (
        lambda: signposts.todays_signposts(db, None),
        lambda: signposts.mark_followed_up(db, None, scene["rows"]["zoe-phq9"].id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert audit_events(db, "signposted_list_viewed") == [] and audit_events(db, "signpost_followed_up") == []


def test_a_role_without_the_permission_is_refused(scene, monkeypatch):
    """The permission table decides: take the actions away from reception and it is refused."""
    db, staff = scene["db"], scene["staff"]["receptionist"]
    without = permissions.PERMISSIONS[permissions.RECEPTIONIST] - {
        permissions.Action.VIEW_SIGNPOSTS,
        permissions.Action.FOLLOW_UP_SIGNPOSTS,
    }
    monkeypatch.setitem(permissions.PERMISSIONS, permissions.RECEPTIONIST, without)
    with pytest.raises(PermissionDenied):
        signposts.todays_signposts(db, staff, now=NOON)
    with pytest.raises(PermissionDenied):
        signposts.mark_followed_up(db, staff, scene["rows"]["zoe-phq9"].id)


def test_the_services_module_does_not_import_reflex():
    from pathlib import Path

    source = Path(signposts.__file__).read_text(encoding="utf-8")
    assert "import reflex" not in source and "from reflex" not in source
