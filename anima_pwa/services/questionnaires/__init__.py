"""Request topics as data (``anima_pwa/questionnaires/*.json``, FHIR R4 Questionnaires): their
question flow, answers, red flags, scoring, triage, FHIR output, validation and search.

Callers use the names this package exports (``from anima_pwa.services import questionnaires``,
then ``questionnaires.get(...)``, ``questionnaires.Advice``), so the modules behind them can
change without touching a caller. The topic search is the exception: it is imported as its
modules (``from anima_pwa.services.questionnaires import emergencies, topic_search``), because
its ``search`` and ``emergency_advice`` are not the ones exported here
(``questionnaires.search`` is ``topic_search.rank``; ``questionnaires.emergency_advice`` reads a
request's answers, not typed words). A helper one module shares with another in the package is
public in its module but not exported.

The modules, lowest first; each imports only modules above it in this list:

- ``wording``: who the questions are about (``Wording``, ``wording_code``, ``first_name``);
- ``model``: the topic format (its docstring describes every key), its constants (kinds,
  audiences, urgencies, teams, extension URLs) and the read-only ``Topic``, ``Item``,
  ``RedFlag`` and the rest;
- ``parsing``: a topic's two files read into a ``Topic`` (``topic_from_dict``), even a broken one;
- ``answers``: ``check_answer``, ``answer_limit``, ``display_answer``;
- ``flow``: which items the answers enable (``enableWhen``), and walking them: ``next_item``,
  ``previous_item``, ``progress``, ``enabled_questions``, ``clean_answers``, ``missing_answers``;
- ``scoring``: PHQ-9 and GAD-7 (``score``);
- ``wording_checks``, ``rule_checks`` and ``validation``: ``validate`` (one topic),
  ``validate_all`` (across topics), ``validate_shared`` (``_red_flags.json``), and the checks of
  the wording rule and of the rules file they run;
- ``loading``: the topics the app serves, read and checked once: ``load_all``, ``get``,
  ``all_topics``, ``free_text_topic``, ``load_directory``;
- ``red_flags``: the emergency screen (``red_flags_for``, ``red_flag_pages``), what answers raise
  (``triggered_red_flags``, ``emergency_advice``, ``ends_request``), the advice (``ADVICE``,
  ``advice_list``, ``advice_for``), ``shared_intro`` and ``safety_net``;
- ``triage_rules``: ``triage`` (a subject, urgency, team and summary for staff), ``more_urgent``;
- ``fhir``: the topic as a Questionnaire (``fhir_questionnaire``) and the answers as a
  ``questionnaire_response`` for the record;
- ``search_terms`` and ``vocabulary``: the topic search's data file, its words and emergency
  patterns, and its vocabulary (what a typed word may be: endings, typos, compounds);
- ``emergencies``: emergency advice for what someone typed (``emergency_advice``,
  ``SearchAdvice``);
- ``topic_search``: topics for what someone typed (``rank``, ``TopicMatch``) and ``search`` (the
  advice, then the topics).
"""

from __future__ import annotations

from anima_pwa.services.questionnaires.answers import TEXT_MAX_LENGTH, answer_limit, check_answer, display_answer
from anima_pwa.services.questionnaires.fhir import fhir_questionnaire, questionnaire_response
from anima_pwa.services.questionnaires.flow import (
    clean_answers,
    enabled_questions,
    missing_answers,
    next_item,
    previous_item,
    progress,
)
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
