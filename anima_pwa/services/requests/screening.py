"""The emergency screen, and emergency signs wherever they turn up in a request.

The emergency screen comes before a medical topic's questions: its red flags in short pages, each
with a "None of these" answer that must be chosen when nothing applies (``screen_red_flags``). A
999 flag ends the request at once; a 111 flag ends it after the last page (a 999 sign may still
come); either way nothing is sent, every advice that applies is shown most urgent first, and the
signpost is recorded for the practice's "Signposted today" list (``signposts``). The crisis lines
(thoughts of suicide on the screen, PHQ-9 question 9 answered above "Not at all", crisis words typed
into a request) are shown and the request goes on: it reaches the practice marked urgent.

The questions use the same pieces (``questions``): an answer that is itself a red flag
(``record_once``, ``end_with_signpost``) and emergency words typed into a text box
(``screen_typed``); Back to the screen's pages (``current_page``, ``unanswer_page``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from anima_pwa.models import Request
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform.results import Result
from anima_pwa.services.requests import signposts
from anima_pwa.services.requests.drafts import answers_of, save_answers
from anima_pwa.services.requests.subject import draft_age_months, is_child, wording_for


def red_flags(session: Session, draft: Request) -> list:
    """The emergency questions for this draft, worded for the person it is about and for their
    age (a bulging soft spot for a baby, pregnancy from 10)."""
    topic = questionnaires.get(draft.topic)
    if topic is None:
        return []
    return questionnaires.red_flags_for(
        topic,
        is_child=is_child(session, draft),
        wording=wording_for(session, draft),
        age_months=draft_age_months(session, draft),
    )


def red_flag_pages(session: Session, draft: Request) -> list[tuple]:
    topic = questionnaires.get(draft.topic)
    if topic is None:
        return []
    return questionnaires.red_flag_pages(topic, red_flags(session, draft), is_child=is_child(session, draft))


SEEN = "_rf_seen"  # the red flags already answered (ticked or not), page by page
CHECKED = "_red_flags_checked"  # the emergency screen is done
SHOWN = "_advice_shown"  # crisis advice already recorded for this draft (flag linkIds, free-text items)
FREE_TEXT_ADVICE = "_free_text_advice"  # linkId -> advice code, for emergency words typed in an answer
NONE_AND_FLAGS = "Select the ones that apply, or select 'None of these', not both"
NOTHING_CHOSEN = "Select the ones that apply, or select 'None of these'"
# The page the person answered is not the one the draft is on (another tab moved it on, or a
# dropped connection lost a step): nothing is saved, and the draft's page is shown to be answered.
PAGE_CHANGED = (
    "These questions had changed since they were shown (perhaps in another tab or window). "
    "Nothing was saved. Please read the questions below and answer them."
)


def current_page(session: Session, draft: Request, answers: dict) -> tuple[int, list[tuple]]:
    """(index of the page to answer, the pages); index == len(pages) when all are answered."""
    pages = red_flag_pages(session, draft)
    seen = set(answers.get(SEEN) or [])
    index = next((n for n, page in enumerate(pages) if any(f.link_id not in seen for f in page)), len(pages))
    return index, pages


@dataclass(frozen=True)
class ScreenOutcome(Result):
    """After a page of the emergency screen: an error to show, or the advice to show (``ends``:
    the request has ended), or neither (the next page, or the questions)."""

    advice: tuple[questionnaires.Advice, ...] = ()
    ends: bool = False

    @property
    def error(self) -> str:
        """The message to show ("" when it worked)."""
        return self.message


def _ticked_flags(flags: list, answers: dict) -> list:
    return [f for f in flags if answers.get(f.link_id) is True]


def screen_red_flags(
    session: Session,
    identity: Identity | None,
    draft: Request,
    ticked: list[str],
    *,
    none_of_these: bool = False,
    shown: list[str] | None = None,
) -> ScreenOutcome:
    """One page of the emergency screen. The person ticks the signs that apply or "None of these"
    (one or the other: nothing, or both, is an error and nothing is saved). A 999 sign ends the
    request at once; after the last page a 111 sign ends it; either way every advice that applies
    is shown, most urgent first, nothing is sent and the signpost is recorded. Crisis signs alone
    show the crisis lines after the last page and the questions go on.

    ``shown``: the signs on the page the person answered (the screen sends them). When they are not
    this page's, the answer is refused with PAGE_CHANGED and nothing is saved: "None of these"
    must never be recorded for signs the person was not looking at (HAZ-101)."""
    answers = answers_of(draft)
    index, pages = current_page(session, draft, answers)
    if not pages:
        answers[CHECKED] = True
        save_answers(session, draft, answers)
        return ScreenOutcome()
    index = min(index, len(pages) - 1)  # every page answered but the screen not done: the last one, as shown
    page = pages[index]
    if shown is not None and list(shown) != [f.link_id for f in page]:
        return ScreenOutcome.refused(PAGE_CHANGED)
    chosen = [f for f in page if f.link_id in set(ticked)]
    if chosen and none_of_these:
        return ScreenOutcome.refused(NONE_AND_FLAGS)
    if not chosen and not none_of_these:
        return ScreenOutcome.refused(NOTHING_CHOSEN)
    for flag in page:
        if flag in chosen:
            answers[flag.link_id] = True
        else:
            answers.pop(flag.link_id, None)
    answers[SEEN] = list(dict.fromkeys([*(answers.get(SEEN) or []), *(f.link_id for f in page)]))
    every = [f for p in pages for f in p]
    raised = _ticked_flags(every, answers)
    last = index == len(pages) - 1
    wording = wording_for(session, draft)
    if any(f.advice == "999" for f in chosen) or (last and questionnaires.ends_request(raised)):
        advice = questionnaires.advice_list(raised, wording)
        end_with_signpost(
            session, identity, draft, [f.link_id for f in raised], [a.code for a in advice], "emergency_screen"
        )
        return ScreenOutcome(advice=tuple(advice), ends=True)
    if not last:
        save_answers(session, draft, answers)
        return ScreenOutcome()
    answers[CHECKED] = True
    crisis = [f for f in raised if "crisis" in (f.advice, *f.also)]
    if crisis:
        record_once(session, identity, draft, answers, crisis, "emergency_screen")
        save_answers(session, draft, answers)
        return ScreenOutcome(advice=tuple(questionnaires.advice_list(crisis, wording)))
    save_answers(session, draft, answers)
    return ScreenOutcome()


def _staff_id(draft: Request) -> int | None:
    return draft.created_by_staff_id


def _record(
    session: Session, identity: Identity | None, draft: Request, flags: list[str], advices: list[str], source: str
) -> None:
    actor = identity.account_id if identity else None
    if identity is None and draft.created_by_staff_id is not None:  # a phone request: the member of staff acted
        from anima_pwa.models import StaffMember

        staff = session.get(StaffMember, draft.created_by_staff_id)
        actor = staff.account_id if staff else None
    signposts.record(
        session,
        patient_id=draft.patient_id,
        practice_id=draft.practice_id,
        topic=draft.topic,
        source=source,
        flags=flags,
        advices=advices,
        account_id=identity.account_id if identity else draft.account_id,
        staff_id=_staff_id(draft),
        actor_account_id=actor,
        actor_kind="patient" if identity else "staff" if draft.created_by_staff_id else "system",
    )


def record_once(
    session: Session, identity: Identity | None, draft: Request, answers: dict, flags: list, source: str
) -> None:
    """Record crisis advice the first time this draft shows it for these flags (going back and
    forth does not make a second row)."""
    shown = list(answers.get(SHOWN) or [])
    new = [f.link_id for f in flags if f.link_id not in shown]
    if new:
        _record(session, identity, draft, new, ["crisis"], source)
        answers[SHOWN] = shown + new


def end_with_signpost(
    session: Session, identity: Identity | None, draft: Request, flags: list[str], advices: list[str], source: str
) -> None:
    """999 or 111: record the signpost and delete the draft; nothing reaches the practice's queue."""
    _record(session, identity, draft, flags, advices, source)
    session.delete(draft)
    session.flush()


def _typed_emergency(value: object) -> questionnaires.Advice | None:
    """Emergency words in something typed ("chest pain since this morning"): the topic search's
    advice for them, as a piece of advice to show."""
    from anima_pwa.services.questionnaires import emergencies

    found = emergencies.emergency_advice(value) if isinstance(value, str) else None
    return questionnaires.Advice(found.code, found.title, found.body, found.calls) if found else None


def screen_typed(
    session: Session, identity: Identity | None, draft: Request, answers: dict, key: str, value: object
) -> tuple[questionnaires.Advice, ...]:
    """Emergency words in what the person typed (a text answer, "anything else"): the advice to
    show, once per advice for that box (recorded then), kept in `answers` so the request is sent
    urgent for staff."""
    typed = _typed_emergency(value)
    free = dict(answers.get(FREE_TEXT_ADVICE) or {})
    shown: tuple[questionnaires.Advice, ...] = ()
    if typed is None:
        free.pop(key, None)
    elif free.get(key) != typed.code:
        free[key] = typed.code
        _record(session, identity, draft, [key], [typed.code], "free_text")
        shown = (typed,)
    answers[FREE_TEXT_ADVICE] = free
    return shown


def unanswer_page(session: Session, draft: Request, answers: dict, index: int) -> None:
    """Show page ``index`` of the emergency screen again, to be answered afresh."""
    pages = red_flag_pages(session, draft)
    if not 0 <= index < len(pages):
        return
    page = {f.link_id for f in pages[index]}
    answers[SEEN] = [link_id for link_id in answers.get(SEEN) or [] if link_id not in page]
    for link_id in page:
        answers.pop(link_id, None)
