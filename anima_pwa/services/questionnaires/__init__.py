"""Request topics as data (anima_pwa/questionnaires/*.json, FHIR R4 Questionnaires).

- ``core``: loading and validating topics, wording for the person asked about, the question
  flow, answer checks, red flags and advice, scoring, triage and FHIR QuestionnaireResponses;
- ``search``: the topic search, and emergency advice for what someone typed.
"""
