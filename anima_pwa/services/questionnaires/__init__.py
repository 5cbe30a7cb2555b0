"""Request topics as data (anima_pwa/questionnaires/*.json, FHIR R4 Questionnaires).

Callers use this package's names (``from anima_pwa.services import questionnaires``, then
``questionnaires.get(...)``, ``questionnaires.Advice``); the modules behind them are:

- ``model``: loading and validating topics, wording for the person asked about, the question
  flow, answer checks, red flags and advice, scoring, triage and FHIR QuestionnaireResponses;
- ``topic_search``: the topic search, and emergency advice for what someone typed (imported as
  a module: ``from anima_pwa.services.questionnaires import topic_search``).
"""

from __future__ import annotations

from anima_pwa.services.questionnaires.answers import TEXT_MAX_LENGTH, answer_limit, check_answer, display_answer
from anima_pwa.services.questionnaires.fhir import fhir_questionnaire, questionnaire_response
from anima_pwa.services.questionnaires.flow import clean_answers, enabled_questions, missing_answers, next_item, previous_item, progress
from anima_pwa.services.questionnaires.loading import all_topics, free_text_topic, get, load_all, load_directory
from anima_pwa.services.questionnaires.model import (
    AUDIENCES,
    CHILD_GROUP,
    CHILD_UNDER_MONTHS,
    DATE_LIMIT_URL,
    ENDING_ADVICE,
    KINDS,
    MIN_VALUE_URL,
    SUBJECT_WORDING_URL,
    TEAMS,
    URGENCIES,
    URGENCY_LABELS,
    WORDING_SHOWN_URL,
    AnswerRedFlag,
    Condition,
    Item,
    Option,
    QuestionnaireError,
    RedFlag,
    Rule,
    RuleCondition,
    ScoreSpec,
    Topic,
)
from anima_pwa.services.questionnaires.parsing import QUESTIONNAIRE_DIR, RULES_SUFFIX, topic_from_dict
from anima_pwa.services.questionnaires.red_flags import (
    ADVICE,
    ADVICE_WORDINGS,
    MAX_FLAGS_PER_PAGE,
    Advice,
    advice_for,
    advice_list,
    emergency_advice,
    ends_request,
    red_flag_pages,
    red_flags_for,
    safety_net,
    shared_intro,
    triggered_red_flags,
)
from anima_pwa.services.questionnaires.scoring import score
from anima_pwa.services.questionnaires.topic_search import TopicMatch
from anima_pwa.services.questionnaires.topic_search import rank as search
from anima_pwa.services.questionnaires.triage_rules import Triage, more_urgent, triage
from anima_pwa.services.questionnaires.validation import validate, validate_all, validate_shared
from anima_pwa.services.questionnaires.wording import WORDINGS, WORDINGS_NEEDED, Wording, first_name, wording_code

__all__ = [
    "ADVICE",
    "ADVICE_WORDINGS",
    "AUDIENCES",
    "CHILD_GROUP",
    "CHILD_UNDER_MONTHS",
    "DATE_LIMIT_URL",
    "ENDING_ADVICE",
    "KINDS",
    "MAX_FLAGS_PER_PAGE",
    "MIN_VALUE_URL",
    "QUESTIONNAIRE_DIR",
    "RULES_SUFFIX",
    "SUBJECT_WORDING_URL",
    "TEAMS",
    "TEXT_MAX_LENGTH",
    "URGENCIES",
    "URGENCY_LABELS",
    "WORDING_SHOWN_URL",
    "WORDINGS",
    "WORDINGS_NEEDED",
    "Advice",
    "AnswerRedFlag",
    "Condition",
    "Item",
    "Option",
    "QuestionnaireError",
    "RedFlag",
    "Rule",
    "RuleCondition",
    "ScoreSpec",
    "Topic",
    "TopicMatch",
    "Triage",
    "Wording",
    "advice_for",
    "advice_list",
    "all_topics",
    "answer_limit",
    "check_answer",
    "clean_answers",
    "display_answer",
    "emergency_advice",
    "enabled_questions",
    "ends_request",
    "fhir_questionnaire",
    "first_name",
    "free_text_topic",
    "get",
    "load_all",
    "load_directory",
    "missing_answers",
    "more_urgent",
    "next_item",
    "previous_item",
    "progress",
    "questionnaire_response",
    "red_flag_pages",
    "red_flags_for",
    "safety_net",
    "score",
    "search",
    "shared_intro",
    "topic_from_dict",
    "triage",
    "triggered_red_flags",
    "validate",
    "validate_all",
    "validate_shared",
    "wording_code",
]
