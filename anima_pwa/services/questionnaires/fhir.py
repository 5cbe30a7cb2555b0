"""FHIR output: a topic as its R4 ``Questionnaire``, and the answers as a ``QuestionnaireResponse``
for the health record (the items as they were worded, and which wording that was)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from anima_pwa.services.questionnaires.flow import enabled_and_effective
from anima_pwa.services.questionnaires.model import WORDING_SHOWN_URL, Item, Topic
from anima_pwa.services.questionnaires.wording import SELF, Wording


def fhir_questionnaire(topic: Topic) -> dict[str, Any]:
    """The FHIR R4 Questionnaire (a copy of the topic file: the rules live beside it)."""
    return json.loads(json.dumps(topic.resource))


def _fhir_answer(item: Item, value: Any, wording: Wording | None = None) -> dict[str, Any]:
    if item.type == "boolean":
        return {"valueBoolean": bool(value)}
    if item.type == "choice":
        option = item.option(value)
        coding = {"code": str(value), "display": option.display_for(wording) if option else str(value)}
        if option and option.system:
            coding = {"system": option.system, **coding}
        return {"valueCoding": coding}
    if item.type == "integer":
        return {"valueInteger": int(value)}
    if item.type == "date":
        return {"valueDate": str(value)}
    return {"valueString": str(value)}


def questionnaire_response(
    topic: Topic,
    answers: Mapping[str, Any],
    *,
    authored: str | None = None,
    subject_reference: str | None = None,
    subject_display: str | None = None,
    wording: Wording | None = None,
    author: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The answers as a FHIR R4 QuestionnaireResponse (status "completed"), for the health record:
    enabled, answered questions only, nested as the Questionnaire nests them, each with the text
    that was shown (``wording``). The linkIds, codes and values are the same whoever the request
    is about; the ``subject-wording-shown`` extension records which wording was used (``self``,
    ``child`` or ``other-adult``), ``author`` who filled it in (a name: the account holder, or
    the member of staff on a phone request) and ``source`` who gave the answers, when known."""
    enabled, effective = enabled_and_effective(topic, answers)
    wording = wording or SELF

    def build(items: tuple[Item, ...]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            if item.link_id not in enabled:
                continue
            if item.type == "group":
                children = build(item.children)
                if children:
                    out.append({"linkId": item.link_id, "text": item.text_for(wording), "item": children})
            elif item.answerable and item.link_id in effective:
                out.append(
                    {
                        "linkId": item.link_id,
                        "text": item.text_for(wording),
                        "answer": [_fhir_answer(item, effective[item.link_id], wording)],
                    }
                )
        return out

    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "extension": [{"url": WORDING_SHOWN_URL, "valueCode": wording.code}],
        "questionnaire": f"{topic.url}|{topic.version}" if topic.version else topic.url,
        "status": "completed",
    }
    if subject_reference or subject_display:
        subject = {"reference": subject_reference} if subject_reference else {}
        response["subject"] = {**subject, **({"display": subject_display} if subject_display else {})}
    if authored:
        response["authored"] = authored
    if author:
        response["author"] = {"display": author}
    if source:
        response["source"] = {"display": source}
    items = build(topic.items)
    if items:
        response["item"] = items
    return response
