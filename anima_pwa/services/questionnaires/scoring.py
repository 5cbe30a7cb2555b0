"""Scored instruments (PHQ-9, GAD-7): a topic's ``scoring`` items added up from their options'
``ordinalValue``s and banded (``score``), once every item is answered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anima_pwa.services.questionnaires.flow import clean_answers, enabled_and_effective
from anima_pwa.services.questionnaires.model import ScoreSpec, Topic


def score(topic: Topic, answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each scored instrument: ``{"phq9": {"name": "PHQ-9", "total": 14, "max": 27,
    "band": "moderate", "complete": True, "answered": 9, "items": 9}}``. Total and band are None
    until every item is answered; an instrument none of whose items was asked is left out."""
    effective = clean_answers(topic, answers)
    enabled, _ = enabled_and_effective(topic, answers)
    out: dict[str, dict[str, Any]] = {}
    for spec in topic.scoring:
        if not any(link_id in enabled for link_id in spec.items):
            continue
        values = []
        for link_id in spec.items:
            item = topic.item(link_id)
            option = item.option(effective.get(link_id)) if item else None
            if option is not None and option.ordinal is not None:
                values.append(option.ordinal)
        complete = len(values) == len(spec.items)
        total = sum(values) if complete else None
        band = next((label for low, high, label in spec.bands if total is not None and low <= total <= high), None)
        out[spec.id] = {
            "name": spec.name,
            "total": total,
            "max": max_total(topic, spec),
            "band": band,
            "complete": complete,
            "answered": len(values),
            "items": len(spec.items),
        }
    return out


def max_total(topic: Topic, spec: ScoreSpec) -> int:
    total = 0
    for link_id in spec.items:
        item = topic.item(link_id)
        ordinals = [o.ordinal for o in item.options if o.ordinal is not None] if item else []
        total += max(ordinals, default=0)
    return total
