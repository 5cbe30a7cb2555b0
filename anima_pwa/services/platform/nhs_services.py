"""Other NHS services a patient can use instead of (or while waiting for) their GP practice, with
the NHS website's own service finders. One list, read by the "Services near you" page
(routes.SERVICES_NEAR_YOU), by signposting outcomes (services.inbox.outcomes) and by the message a
patient sees when their practice has turned online requests off.

The wording follows the NHS website (www.nhs.uk); the finders search by postcode or town there, so
Anima never needs the patient's location.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NHS_111_ONLINE", "SERVICES", "SELF_CARE_URL", "NhsService", "anchor", "by_key"]

NHS_111_ONLINE = "https://111.nhs.uk/"
SELF_CARE_URL = "https://www.nhs.uk/conditions/"  # Health A to Z


@dataclass(frozen=True)
class NhsService:
    key: str  # also the page anchor: /services-near-you#<key>
    title: str
    summary: str
    points: tuple[str, ...]
    finder_text: str
    finder_url: str


SERVICES: tuple[NhsService, ...] = (
    NhsService(
        key="pharmacy",
        title="Pharmacies and Pharmacy First",
        summary=(
            "Pharmacists are qualified healthcare professionals who can give you advice on a range of "
            "conditions and suggest medicines that can help. You can talk to a pharmacist in private "
            "without an appointment."
        ),
        points=(
            "Through Pharmacy First, pharmacies can give advice and, if you need it, some prescription "
            "medicines for sinusitis, sore throat, earache (aged 1 to 17), infected insect bites, impetigo, "
            "shingles and urinary tract infections (women aged 16 to 64), without you seeing a GP.",
            "Many pharmacies are open late and at weekends.",
        ),
        finder_text="Find a pharmacy",
        finder_url="https://www.nhs.uk/service-search/pharmacy/find-a-pharmacy",
    ),
    NhsService(
        key="nhs_111",
        title="NHS 111",
        summary=(
            "NHS 111 can help if you have an urgent medical problem and you're not sure what to do. "
            "It is available 24 hours a day, 7 days a week."
        ),
        points=(
            "Go to 111.nhs.uk or call 111. Answer questions about your symptoms and you'll be told what to "
            "do and where to go.",
            "In an emergency call 999.",
        ),
        finder_text="Get help from NHS 111 online",
        finder_url=NHS_111_ONLINE,
    ),
    NhsService(
        key="urgent_treatment",
        title="Urgent treatment centres",
        summary=(
            "Urgent treatment centres can treat injuries and illnesses that are not life threatening but "
            "need attention quickly, such as sprains, suspected broken bones, minor burns and cuts."
        ),
        points=(
            "You may be able to book an appointment through NHS 111.",
            "Go to A&E or call 999 in an emergency.",
        ),
        finder_text="Find an urgent treatment centre",
        finder_url="https://www.nhs.uk/service-search/find-an-urgent-treatment-centre",
    ),
    NhsService(
        key="dentist",
        title="Dentists",
        summary="Go to a dentist for problems with your teeth or gums. GP practices cannot treat dental problems.",
        points=(
            "You do not need to be registered with a dentist to get NHS dental treatment: contact a dental "
            "practice and ask if they're taking new NHS patients.",
            "For urgent dental problems when you cannot get an appointment, use NHS 111.",
        ),
        finder_text="Find a dentist",
        finder_url="https://www.nhs.uk/service-search/find-a-dentist",
    ),
    NhsService(
        key="optician",
        title="Opticians",
        summary=(
            "Opticians (optometrists) can check your eyes and help with many eye problems, such as red or "
            "sore eyes, blurred vision or something in your eye."
        ),
        points=("Some people can get free NHS eye tests, for example children and people aged 60 or over.",),
        finder_text="Find an optician",
        finder_url="https://www.nhs.uk/service-search/find-an-optician",
    ),
)

_BY_KEY = {service.key: service for service in SERVICES}


def by_key(key: str) -> NhsService | None:
    return _BY_KEY.get(key)


def anchor(key: str) -> str:
    """The id of the service's section on the Services near you page."""
    return key.replace("_", "-")
