"""The topics the app serves: every file in ``anima_pwa/questionnaires/`` read and checked once
per process (``load_all``, ``get``), the lists to choose from (``all_topics``) and the
"something else" topic (``free_text_topic``). A broken topic is never served: any problem the
validators find stops the app at start-up (``QuestionnaireError``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from anima_pwa.services.questionnaires.model import QuestionnaireError, Topic
from anima_pwa.services.questionnaires.parsing import (
    QUESTIONNAIRE_DIR,
    RULES_SUFFIX,
    SHARED_RED_FLAGS_FILE,
    read_json,
    rules_path,
    topic_from_dict,
)
from anima_pwa.services.questionnaires.validation import validate, validate_all, validate_shared


def load_directory(directory: Path, *, check: bool = True) -> dict[str, Topic]:
    """Every topic in ``directory`` (not cached). With ``check``, any problem ``validate`` or
    ``validate_all`` finds raises ``QuestionnaireError``: a broken topic is never served."""
    shared = read_json(directory / SHARED_RED_FLAGS_FILE)
    topics: dict[str, Topic] = {}
    problems: list[str] = []
    problems += [f"{SHARED_RED_FLAGS_FILE}: {p}" for p in validate_shared(shared)] if check else []
    for path in sorted(directory.glob("*.json")):
        if path.name.startswith("_"):
            continue
        if path.name.endswith(RULES_SUFFIX):
            if not path.with_name(path.name.removesuffix(RULES_SUFFIX) + ".json").exists():
                problems.append(f"{path.name}: rules for a topic that does not exist")
            continue
        try:
            data = read_json(path)
            rules = read_json(rules_path(path))
        except (OSError, json.JSONDecodeError) as error:
            problems.append(f"{path.name}: cannot be read with its rules ({error})")
            continue
        topic = topic_from_dict(data, rules=rules, shared=shared, path=str(path))
        if topic.id != path.stem:
            problems.append(f"{path.name}: id {topic.id!r} must match the file name")
        if topic.id in topics:
            problems.append(f"{path.name}: id {topic.id!r} is used twice")
        topics[topic.id] = topic
    if check:
        for topic in topics.values():
            problems += [f"{Path(topic.path).name}: {p}" for p in validate(topic)]
        problems += validate_all(topics)
        if problems:
            raise QuestionnaireError(problems)
    return topics


@lru_cache(maxsize=1)
def _loaded() -> dict[str, Topic]:
    return load_directory(QUESTIONNAIRE_DIR)


def load_all() -> dict[str, Topic]:
    """Every topic by id (read and checked once per process)."""
    return dict(_loaded())


def get(topic_id: str) -> Topic | None:
    return _loaded().get(topic_id) if isinstance(topic_id, str) else None


def _visible(topic: Topic, kind: str | None, is_child: bool | None) -> bool:
    if topic.free_text or (kind is not None and topic.kind != kind):
        return False
    if is_child is True and topic.audience == "adult":
        return False
    return not (is_child is False and topic.audience == "child")


def all_topics(kind: str | None = None, *, is_child: bool | None = None) -> list[Topic]:
    """The full list to choose from (sorted by title). ``is_child`` hides adult-only topics for a
    child and child-only topics for an adult; None shows both. Free-text topics are not listed."""
    topics = [t for t in _loaded().values() if _visible(t, kind, is_child)]
    return sorted(topics, key=lambda t: t.title.casefold())


def free_text_topic(kind: str) -> Topic | None:
    """The "something else" topic for a request in the patient's own words. Offer it only when
    the practice has free text switched on (``PracticeSettings.free_text_enabled``)."""
    return next((t for t in _loaded().values() if t.free_text and t.kind == kind), None)
