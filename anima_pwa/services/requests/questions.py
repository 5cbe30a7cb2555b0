"""The questions, one a page, and the pages after them: where the wizard is (``current_step``),
each answer saved at once (``answer``), Back and the check page's Change links, "Anything else",
the person's preferences, and the check-your-answers rows.

Every question is worded for the person the request is for (``subject.wording_for``). An answer
that is itself a red flag, or emergency words typed into a text box, are handled as on the
emergency screen (``screening``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from anima_pwa.models import Request
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform import text_limits
from anima_pwa.services.platform.results import Result
from anima_pwa.services.requests.drafts import answers_of, save_answers
from anima_pwa.services.requests.screening import (
    CHECKED,
    current_page,
    end_with_signpost,
    record_once,
    red_flag_pages,
    screen_typed,
    unanswer_page,
)
from anima_pwa.services.requests.subject import wording_for

APPOINTMENT_PREFERENCES = {
    "phone": "A phone call",
    "video": "A video call",
    "in_person": "Face to face at the surgery",
    "none": "No preference",
}
CONTACT_PREFERENCES = {
    "text": "Text message to my mobile",
    "email": "Email",
    "phone": "Phone call",
}
FREE_TEXT_LIMIT = text_limits.ANYTHING_ELSE.limit


@dataclass(frozen=True)
class Step:
    """Where the wizard is: a question, or one of the steps after the questions."""

    kind: str  # red_flags | question | anything_else | preferences | check | (done)
    link_id: str = ""
    number: int = 0
    total: int = 0


def current_step(session: Session, draft: Request) -> Step:
    topic = questionnaires.get(draft.topic)
    answers = answers_of(draft)
    if topic is None:
        return Step("check")
    if not answers.get(CHECKED):
        index, pages = current_page(session, draft, answers)
        if pages:
            return Step("red_flags", number=min(index, len(pages) - 1) + 1, total=len(pages))
    if draft.current_item in ("anything_else", "preferences", "check"):
        return Step(draft.current_item)
    item = None
    if draft.current_item:
        item = next((i for i in topic.questions if i.link_id == draft.current_item), None)
    if item is None:
        item = questionnaires.next_item(topic, answers, None)
    if item is None:
        return Step("anything_else")
    number, total = questionnaires.progress(topic, answers, item.link_id)
    return Step("question", item.link_id, number, total)


@dataclass(frozen=True)
class AnswerOutcome(Result):
    advice: tuple[questionnaires.Advice, ...] = ()  # advice to show now, most urgent first
    ends: bool = False  # the advice ended the request (999 or 111): nothing was sent

    @property
    def error(self) -> str:
        """The message to show ("" when it worked)."""
        return self.message


def answer(session: Session, identity: Identity | None, draft: Request, link_id: str, raw: object) -> AnswerOutcome:
    """Save one answer (at once) and move on. An answer that is itself a red flag is handled like
    the emergency screen's: 999 or 111 ends the request; the crisis lines (PHQ-9's question about
    thoughts of self-harm) are shown and the request goes on, urgent for staff. Emergency words
    typed into a text answer show the search's emergency advice, once, and the request goes on."""
    topic = questionnaires.get(draft.topic)
    item = next((i for i in topic.questions if i.link_id == link_id), None) if topic else None
    if item is None or topic is None:
        return AnswerOutcome.refused("This question is no longer part of your request.")
    value, error = questionnaires.check_answer(item, raw)
    if error:
        return AnswerOutcome.refused(error)
    answers = answers_of(draft)
    if item.type != "display":
        answers[link_id] = value
    wording = wording_for(session, draft)
    raised = [f for f in topic.answer_red_flags if f.link_id == link_id and f.triggered_by(value)]
    if questionnaires.ends_request(raised):
        advice = questionnaires.advice_list(raised, wording)
        end_with_signpost(session, identity, draft, [f.link_id for f in raised], [a.code for a in advice], "answer")
        return AnswerOutcome(advice=tuple(advice), ends=True)
    shown: tuple[questionnaires.Advice, ...] = ()
    if raised:
        record_once(session, identity, draft, answers, raised, "answer")
        shown = tuple(questionnaires.advice_list(raised, wording))
    elif item.type in ("string", "text"):
        shown = screen_typed(session, identity, draft, answers, link_id, value)
    following = questionnaires.next_item(topic, answers, link_id)
    target = _after(topic, answers, following.link_id if following else "anything_else")
    save_answers(session, draft, answers, current_item=target)
    return AnswerOutcome(advice=shown)


def back(session: Session, draft: Request) -> None:
    topic = questionnaires.get(draft.topic)
    if topic is None:
        return
    answers = answers_of(draft)
    step = current_step(session, draft)
    if step.kind == "red_flags":
        if step.number <= 1:
            return
        unanswer_page(session, draft, answers, step.number - 2)  # the page before this one
        target = draft.current_item
    elif step.kind == "question":
        earlier = questionnaires.previous_item(topic, answers, step.link_id)
        target = earlier.link_id if earlier else ""
        if earlier is None and answers.pop(CHECKED, None):  # back to the emergency questions' last page
            pages = red_flag_pages(session, draft)
            if pages:
                unanswer_page(session, draft, answers, len(pages) - 1)
    elif step.kind == "anything_else":
        last = None
        item = questionnaires.next_item(topic, answers, None)
        while item is not None:
            last = item
            item = questionnaires.next_item(topic, answers, item.link_id)
        target = last.link_id if last else ""
    elif step.kind == "preferences":
        target = "anything_else"
    elif step.kind == "check":
        target = "preferences"
    else:
        return
    save_answers(session, draft, answers, current_item=target)


def go_to(session: Session, draft: Request, link_id: str) -> None:
    """A "Change" link on the check-your-answers page."""
    topic = questionnaires.get(draft.topic)
    allowed = {i.link_id for i in topic.questions} if topic else set()
    if link_id in allowed or link_id in ("anything_else", "preferences"):
        answers = answers_of(draft)
        answers[CHANGING] = True  # after this answer, straight back to the check page if nothing is missing
        save_answers(session, draft, answers, current_item=link_id)


CHANGING = "_changing"


def _after(topic, answers: dict, following: str) -> str:
    """Where to go next: back to "check" after a change, unless the change opened new questions."""
    if answers.pop(CHANGING, False) and topic is not None and not questionnaires.missing_answers(topic, answers):
        return "check"
    return following


ANYTHING_ELSE = "anything_else"  # FREE_TEXT_ADVICE's key for "anything else"


def save_anything_else(
    session: Session, draft: Request, text: str, *, identity: Identity | None = None
) -> AnswerOutcome:
    """Save "anything else" and move on; over-long text is refused with the message (the draft is
    left as it was) and never shortened. Emergency words in it are treated as in a typed answer:
    the search's advice is shown once and recorded, and the request goes on, urgent for staff."""
    text = text_limits.normalise(text if isinstance(text, str) else "")
    too_long = text_limits.check(text, FREE_TEXT_LIMIT, text_limits.ANYTHING_ELSE.label)
    if too_long:
        return AnswerOutcome.refused(too_long)
    draft.free_text = text
    answers = answers_of(draft)
    shown = screen_typed(session, identity, draft, answers, ANYTHING_ELSE, text)
    save_answers(session, draft, answers, current_item=_after(questionnaires.get(draft.topic), answers, "preferences"))
    return AnswerOutcome(advice=shown)


def save_preferences(session: Session, draft: Request, *, appointment: str, contact: str) -> Result:
    errors = {}
    if draft.kind == "medical" and appointment not in APPOINTMENT_PREFERENCES:
        errors["appointment"] = "Choose how you would prefer to be seen or spoken to"
    if contact not in CONTACT_PREFERENCES:
        errors["contact"] = "Choose how your practice should contact you"
    if errors:
        return Result(errors=errors)
    draft.appointment_preference = appointment if draft.kind == "medical" else ""
    draft.contact_preference = contact
    save_answers(session, draft, answers_of(draft), current_item="check")
    return Result()


@dataclass(frozen=True)
class CheckRow:
    link_id: str
    question: str
    answer: str
    topic_question: bool = True  # a question of the topic (False: anything else, preferences)


def check_rows(session: Session, draft: Request) -> list[CheckRow]:
    """The check-your-answers page: each question as it was asked (worded for the person)."""
    topic = questionnaires.get(draft.topic)
    if topic is None:
        return []
    wording = wording_for(session, draft)
    answers = answers_of(draft)
    rows = []
    item = questionnaires.next_item(topic, answers, None)
    while item is not None:
        if item.type != "display" and item.link_id in answers:
            shown = questionnaires.display_answer(item, answers[item.link_id], wording)
            rows.append(CheckRow(item.link_id, item.text_for(wording), shown))
        item = questionnaires.next_item(topic, answers, item.link_id)
    rows.append(CheckRow("anything_else", "Anything else you want to tell us", draft.free_text or "Nothing", False))
    if draft.kind == "medical":
        seen = (
            "How you'd prefer to be seen" if wording.code == "self" else f"How you'd prefer {wording.name} to be seen"
        )
        rows.append(CheckRow("preferences", seen, APPOINTMENT_PREFERENCES.get(draft.appointment_preference, ""), False))
    rows.append(
        CheckRow("preferences", "How we contact you", CONTACT_PREFERENCES.get(draft.contact_preference, ""), False)
    )
    return rows
