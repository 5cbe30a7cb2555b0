"""Who may see and answer a request on the patient side (services/inbox/access.py), and what
"Your requests", "In progress" and the request page show (services/inbox/patient_view.py)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from anima_pwa.models import AccountPatient
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import access, patient_view
from anima_pwa.services.practice.permissions import PermissionDenied
from tests.factories import audit_events
from tests.inbox_patient_world import PatientWorld, patient_world, practice_message, sent_request, sign_off


@pytest.fixture
def w(db_session: Session) -> PatientWorld:
    return patient_world(db_session)


def _sees(w: PatientWorld, who: Identity, request_id: object) -> bool:
    try:
        access.request_for_account(w.db, who, request_id)
    except PermissionDenied as denied:
        assert denied.message == "We could not find that request."
        return False
    return True


def test_both_parents_see_the_childs_request_and_nobody_else_does(w: PatientWorld) -> None:
    lilys = sent_request(w, w.lily, w.mum)
    seen = {
        name: _sees(w, getattr(w, name), lilys.id) for name in ("mum", "dad", "gran", "uncle", "sam", "home", "olu")
    }
    assert seen == {
        "mum": True, "dad": True, "gran": False, "uncle": False, "sam": False, "home": False, "olu": False,
    }  # fmt: skip


def test_a_holder_removed_or_approved_later(w: PatientWorld) -> None:
    lilys = sent_request(w, w.lily, w.mum)
    from sqlmodel import select

    dads = w.db.exec(select(AccountPatient).where(AccountPatient.account_id == w.dad.account_id,
                                                  AccountPatient.patient_id == w.lily.id)).one()  # fmt: skip
    w.db.delete(dads)
    w.db.flush()
    assert not _sees(w, w.dad, lilys.id)
    grans = w.db.exec(select(AccountPatient).where(AccountPatient.account_id == w.gran.account_id)
                      .where(AccountPatient.patient_id == w.lily.id)).one()  # fmt: skip
    grans.approval_status = "approved"
    w.db.add(grans)
    w.db.flush()
    assert _sees(w, w.gran, lilys.id)


def test_a_care_home_sees_its_residents_requests_not_others(w: PatientWorld) -> None:
    ednas = sent_request(w, w.edna, w.home)
    assert _sees(w, w.home, ednas.id)
    assert not _sees(w, w.mum, ednas.id) and not _sees(w, w.sam, ednas.id)


@pytest.mark.parametrize("nonsense", [None, "", "abc", "1 OR 1=1", -1, 0, True, 1.0, 2**40, [1], {"id": 1}])
def test_nonsense_ids_are_not_found(w: PatientWorld, nonsense: object) -> None:
    sent_request(w, w.mum_patient, w.mum)
    assert not _sees(w, w.mum, nonsense)


def test_a_draft_another_practice_and_staff_are_not_found(w: PatientWorld) -> None:
    draft = sent_request(w, w.mum_patient, w.mum, status="draft")
    olus = sent_request(w, w.olu_patient, w.olu)
    assert not _sees(w, w.mum, draft.id)
    assert not _sees(w, w.mum, olus.id) and _sees(w, w.olu, olus.id)
    staff_identity = Identity(account_id=w.clinician.account_id, email="x", kind="staff", session_id="s" * 64)
    assert not _sees(w, staff_identity, olus.id)
    assert not _sees(w, None, olus.id)  # type: ignore[arg-type]


def test_your_requests_lists_everything_with_outcomes_newest_first(w: PatientWorld) -> None:
    own = sent_request(w, w.mum_patient, w.mum, minutes=0)
    lilys = sent_request(w, w.lily, w.dad, minutes=5)
    done = sign_off(w, sent_request(w, w.lily, w.mum, minutes=10), "self_care", {"advice": "Rest and fluids."})
    sent_request(w, w.mum_patient, w.mum, status="draft")
    sent_request(w, w.edna, w.home)
    rows = patient_view.your_requests(w.db, w.mum)
    assert [r.id for r in rows] == [done.id, lilys.id, own.id]
    assert [(r.patient_name, r.status_label, r.outcome_heading, r.is_open) for r in rows] == [
        ("Lily Rahman", "Completed", "Your practice has sent you self-care advice", False),
        ("Lily Rahman", "Sent to your practice", "", True),
        ("Priya Rahman", "Sent to your practice", "", True),
    ]
    assert [r.id for r in patient_view.your_requests(w.db, w.dad)] == [done.id, lilys.id]
    assert patient_view.your_requests(w.db, w.gran) == [] and patient_view.your_requests(w.db, w.uncle) == []


def test_in_progress_puts_requests_needing_a_reply_first_with_respond(w: PatientWorld) -> None:
    older = sent_request(w, w.mum_patient, w.mum, minutes=0)
    newer = sent_request(w, w.lily, w.mum, minutes=5)
    newest = sent_request(w, w.lily, w.dad, minutes=9)
    sign_off(w, sent_request(w, w.lily, w.mum, minutes=10), "no_action", {})
    practice_message(w, older)  # needs a reply
    practice_message(w, newer, "We have booked you in.", needs_reply=False)
    assert [(r.id, r.needs_reply) for r in patient_view.in_progress(w.db, w.dad)] == [
        (newest.id, False),
        (newer.id, False),
    ]
    rows = patient_view.in_progress(w.db, w.mum)
    assert [(r.id, r.needs_reply) for r in rows] == [(older.id, True), (newest.id, False), (newer.id, False)]
    assert (patient_view.needing_reply(w.db, w.mum), patient_view.needing_reply(w.db, w.dad)) == (1, 0)
    assert rows[0].status_label == "Your practice needs your reply"


def test_the_request_page_shows_the_patients_answers_thread_and_outcome_never_the_triage(w: PatientWorld) -> None:
    request = sent_request(w, w.lily, w.mum)
    practice_message(w, request, "Please send a photo of the rash.", wants_photo=True)
    page = patient_view.request_page(w.db, w.dad, str(request.id))
    assert page.row.title == "Cough and cold" and page.row.patient_name == "Lily Rahman"
    assert page.awaiting is not None and page.awaiting.wants_photo and page.row.needs_reply
    assert [(m.author, m.body) for m in page.messages] == [("Your practice", "Please send a photo of the rash.")]
    shown = repr(page)
    assert "TRIAGE-ONLY" not in shown and "Cough for 3 days" not in shown and "urgency" not in shown
    assert any(a.answer == "It started after my holiday." for a in page.answers)
    assert page.outcome is None
    assert audit_events(w.db, "request_viewed")[-1].actor_account_id == w.dad.account_id
    sign_off(w, request, "prescription", {"medicine": "Amoxicillin 250mg"})
    page = patient_view.request_page(w.db, w.mum, request.id)
    assert page.awaiting is None and page.outcome is not None and page.outcome.needs_decision
    with pytest.raises(PermissionDenied):
        patient_view.request_page(w.db, w.gran, request.id)
