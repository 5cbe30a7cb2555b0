"""The guards every event handler in anima_pwa/state uses (`state.base.requires`, with
`sign_in_required` and `state.practice.workspace.staff_required`), and the one request wizard.

First the guard on its own (a plain object stands for a State), then on real State objects driven
directly against the test database, as tests/test_draft_gone.py drives the wizards: who acts comes
from the server-side session (`_identity()`), anyone else goes to sign in, a refusal from a
service is shown on the screen, and the browser never sees, or sends, the argument the guard
hands in.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest
import reflex as rx
from reflex.istate.data import ReflexURL, URLData
from sqlalchemy.engine import Engine
from sqlmodel import Session

import anima_pwa.anima_pwa  # noqa: F401  (every page and State, as the app registers them)
from anima_pwa import db, routes
from anima_pwa.models import Account
from anima_pwa.services.practice.permissions import NOT_FOUND, Action, PermissionDenied
from anima_pwa.state.base import SessionState, requires
from anima_pwa.state.inbox.patient import YourRequestsState
from anima_pwa.state.practice.patient_management import PatientRecordState
from anima_pwa.state.practice.practice_settings import CoreHoursLogState
from anima_pwa.state.practice.workspace import PracticeState
from anima_pwa.state.requests.wizard import (
    RequestWizardMixin,
    RequestWizardState,
    StaffRequestWizardState,
)
from tests.factories import identity_of, make_account, make_patient, make_practice, make_staff

DEFAULT_REFUSAL = PermissionDenied().message


# --- the guard on its own ---------------------------------------------------------------------


class Screen:
    """Stands for a State: who the session belongs to, and where refusals and sign-in go."""

    def __init__(self, who=None):
        self.who = who
        self.refusals: list[str] = []
        self.ran: list[tuple] = []

    def _to_login(self):
        return "to sign in"

    def _denied(self, message: str):
        self.refusals.append(message)
        return "refused"

    def _starting_event(self) -> bool:
        return False

    def _records_unreachable(self, error, *, loading: bool):  # noqa: ANN001
        return "could not reach our records"

    @requires(lambda screen: screen.who)
    def act(self, who, value: str, *, twice: bool = False):
        self.ran.append((who, value, twice))
        return f"{who} {value}"

    @requires(lambda screen: screen.who)
    async def act_later(self, who, value: str):
        await asyncio.sleep(0)
        self.ran.append((who, value))
        return who

    @requires(lambda screen: screen.who)
    def refused_by_a_service(self, who):
        raise PermissionDenied("We could not find that patient at your practice.")

    @requires(lambda screen: (_ for _ in ()).throw(PermissionDenied()))
    def refused_before_it_runs(self, who):
        self.ran.append(who)


def test_the_handler_gets_who_acts_and_the_browser_sends_only_the_rest() -> None:
    screen = Screen("jo")
    assert screen.act("hello") == "jo hello" and screen.act(value="again", twice=True) == "jo again"
    assert screen.ran == [("jo", "hello", False), ("jo", "again", True)]
    shown = inspect.signature(Screen.act)
    assert list(shown.parameters) == ["self", "value", "twice"]  # what Reflex reads and the browser fills
    assert Screen.act.__annotations__ == {"value": "str", "twice": "bool"}
    assert Screen.act.__name__ == "act"


def test_nobody_signed_in_goes_to_sign_in_and_nothing_runs() -> None:
    screen = Screen(None)
    assert screen.act("hello") == "to sign in"
    assert asyncio.run(screen.act_later("hello")) == "to sign in"
    assert screen.ran == [] and screen.refusals == []


def test_async_handlers_stay_async() -> None:
    screen = Screen("jo")
    assert inspect.iscoroutinefunction(Screen.act_later)
    assert asyncio.run(screen.act_later("hello")) == "jo" and screen.ran == [("jo", "hello")]
    assert list(inspect.signature(Screen.act_later).parameters) == ["self", "value"]


def test_a_refusal_from_a_service_or_the_guard_is_shown_once() -> None:
    screen = Screen("jo")
    assert screen.refused_by_a_service() == "refused"
    assert screen.refused_before_it_runs() == "refused"
    assert screen.refusals == ["We could not find that patient at your practice.", DEFAULT_REFUSAL]
    assert screen.ran == []


def test_a_handler_must_take_who_acts() -> None:
    with pytest.raises(TypeError):
        requires(lambda screen: screen.who)(lambda self: None)


def _all_states() -> list[type[rx.State]]:
    found, stack = [], [SessionState]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.get_substates())
    return found


def test_no_handler_of_any_screen_asks_the_browser_who_acts() -> None:
    """Reflex fills a handler's parameters from the browser: none may be who acts."""
    states = _all_states()
    assert RequestWizardState in states and StaffRequestWizardState in states and CoreHoursLogState in states
    for state in states:
        for name, handler in state.event_handlers.items():
            parameters = set(handler._parameters) - {"self"}
            assert not parameters & {"identity", "staff", "actor", "who"}, f"{state.__name__}.{name}: {parameters}"
            assert not set(handler._get_type_hints()) & {"identity", "staff", "actor"}, f"{state.__name__}.{name}"


# --- the one wizard -----------------------------------------------------------------------------


def test_each_wizard_page_calls_its_own_states_handlers() -> None:
    """The handlers are written once, in the mixin, and each wizard has its own copy: a handler
    of the staff page never runs on the patient's wizard (and the other way round)."""
    shared = {name for name, value in vars(RequestWizardMixin).items() if not name.startswith("_") and callable(value)}
    assert {"screen", "answer", "back", "change", "send", "start_again", "finish", "submit_search"} <= shared
    for state in (RequestWizardState, StaffRequestWizardState):
        for name in shared | {"load", "choose_kind", "choose_topic"}:
            handler = getattr(state, name)
            assert handler.state is state, f"{state.__name__}.{name} dispatches to {handler.state_full_name}"
    assert StaffRequestWizardState.get_parent_state() is PracticeState  # the workspace header's state
    assert RequestWizardState.get_parent_state() is SessionState
    assert not issubclass(StaffRequestWizardState, RequestWizardState)
    assert not hasattr(StaffRequestWizardState, "choose_who")  # the practice starts with the patient known


# --- on real screens ----------------------------------------------------------------------------


@pytest.fixture
def screens(engine: Engine, db_session: Session, monkeypatch: pytest.MonkeyPatch):
    """The states' database is the test database (every `session_scope` opens its sessions on
    `db.engine()`); `signed_in_as(identity)` is who the session cookie belongs to (None: nobody)."""
    monkeypatch.setattr(db, "engine", lambda: engine)
    who: list = [None]
    monkeypatch.setattr(SessionState, "_identity", lambda self: who[0])

    def signed_in_as(identity) -> None:
        who[0] = identity

    return signed_in_as


def _staff_identity(session: Session, role: str, practice):
    staff = make_staff(session, practice, role)
    account = session.get(Account, staff.account_id)
    session.commit()
    return staff, identity_of(account, method="password+mfa")


def _redirect_path(event) -> str:
    return {name._js_expr: value._var_value for name, value in event.args}["path"]


def opened(state_class, path: str):
    """A tab of `state_class` on the page at `path` (with its query), as the router sees it."""
    tab = state_class(_reflex_internal_init=True)
    tab.rx_router_url = URLData.from_url(ReflexURL(f"http://localhost:3000{path}"))
    return tab


def test_signed_out_a_patient_screen_goes_to_sign_in(screens, db_session: Session) -> None:
    screens(None)
    tab = opened(YourRequestsState, routes.YOUR_REQUESTS)
    tab.rows = [{"reference": "AN-OLD"}]
    event = tab.event_handlers["load"].fn(tab)
    assert _redirect_path(event) == routes.login(routes.YOUR_REQUESTS) and tab.rows == [{"reference": "AN-OLD"}]


def test_a_signed_in_patient_gets_their_own_page(screens, db_session: Session) -> None:
    account = make_account(db_session, "guarded@example.com")
    db_session.commit()
    screens(identity_of(account))
    tab = YourRequestsState(_reflex_internal_init=True)
    tab.rows = [{"reference": "AN-OLD"}]
    assert tab.event_handlers["load"].fn(tab) is None and tab.rows == []


def test_staff_with_the_permission_see_the_screen_and_the_header(screens, db_session: Session) -> None:
    practice = make_practice(db_session, "G11111")
    _admin, identity = _staff_identity(db_session, "admin", practice)
    screens(identity)
    tab = CoreHoursLogState(_reflex_internal_init=True)
    assert tab.event_handlers["load"].fn(tab) is None
    assert (tab.error, tab.rows) == ("", [])
    assert (tab.staff_name, tab.staff_role, tab.practice_name) == ("Admin G11111", "Admin", "Practice G11111")


def test_staff_without_the_permission_are_refused_on_the_screen(screens, db_session: Session) -> None:
    practice = make_practice(db_session, "G11112")
    _reception, identity = _staff_identity(db_session, "receptionist", practice)
    screens(identity)
    tab = CoreHoursLogState(_reflex_internal_init=True)
    tab.rows = [{"at": "earlier"}]
    assert tab.event_handlers["load"].fn(tab) is None
    assert (tab.error, tab.rows) == (DEFAULT_REFUSAL, [])  # the refusal, and nothing from before
    assert tab.staff_name == "Receptionist G11112"  # still a member of staff: the header shows them


def test_a_patient_on_a_workspace_screen_goes_to_the_staff_sign_in(screens, db_session: Session) -> None:
    """Not through /auth/check, which would find the session alive and send them back here."""
    account = make_account(db_session, "patient.at.the.desk@example.com")
    db_session.commit()
    screens(identity_of(account))
    tab = opened(CoreHoursLogState, routes.PRACTICE_CORE_HOURS_LOG)
    event = tab.event_handlers["load"].fn(tab)
    assert _redirect_path(event) == routes.practice_login(routes.PRACTICE_CORE_HOURS_LOG)
    assert tab.error == "" and tab.staff_name == ""


def test_signed_out_a_workspace_screen_goes_to_the_staff_sign_in(screens) -> None:
    screens(None)
    tab = opened(PracticeState, routes.PRACTICE_REQUESTS)
    event = tab.event_handlers["check_staff"].fn(tab)
    assert _redirect_path(event) == f"{routes.PRACTICE_LOGIN}?next={routes.PRACTICE_REQUESTS}"


def test_a_refusal_from_a_service_is_the_screens_one_message(screens, db_session: Session) -> None:
    """A patient of another practice looks exactly like one that doesn't exist, and nothing of the
    patient shown before stays on the screen."""
    practice, elsewhere = make_practice(db_session, "G11113"), make_practice(db_session, "G11114")
    ray = make_patient(db_session, elsewhere, "Ray Elsewhere")
    _reception, identity = _staff_identity(db_session, "receptionist", practice)
    screens(identity)
    tab = opened(PatientRecordState, routes.practice_patient(ray.id))
    tab.detail = {"name": "Someone shown before"}
    assert tab.event_handlers["load"].fn(tab) is None
    assert tab.detail == {} and tab.errors == {"form": NOT_FOUND} and tab.summary == []


def test_the_phone_request_page_loaded_directly_shows_who_is_signed_in(screens, db_session: Session) -> None:
    """The header's name, role and practice come from the wizard's own load, not from another
    workspace page opened first."""
    practice = make_practice(db_session, "G11115")
    _reception, identity = _staff_identity(db_session, "receptionist", practice)
    zoe = make_patient(db_session, practice, "Zoe Smith")
    db_session.commit()
    screens(identity)
    tab = opened(StaffRequestWizardState, f"{routes.PRACTICE_PHONE_REQUEST}?patient={zoe.id}")
    assert tab.event_handlers["load"].fn(tab) is None
    assert (tab.staff_name, tab.staff_role, tab.practice_name) == (
        "Receptionist G11115",
        "Receptionist",
        "Practice G11115",
    )
    assert (tab.step, tab.patient_label, tab.errors) == ("type", "Zoe Smith", {})


def test_the_phone_request_page_for_a_patient_elsewhere_says_only_not_found(screens, db_session: Session) -> None:
    practice, elsewhere = make_practice(db_session, "G11117"), make_practice(db_session, "G11118")
    ray = make_patient(db_session, elsewhere, "Ray Elsewhere")
    _reception, identity = _staff_identity(db_session, "receptionist", practice)
    screens(identity)
    tab = opened(StaffRequestWizardState, f"{routes.PRACTICE_PHONE_REQUEST}?patient={ray.id}")
    tab.event_handlers["load"].fn(tab)
    assert (tab.step, tab.patient_label, tab.errors) == ("loading", "", {"form": NOT_FOUND})


def test_a_clinician_may_not_take_a_request_by_phone(screens, db_session: Session) -> None:
    practice = make_practice(db_session, "G11116")
    _clinician, identity = _staff_identity(db_session, "clinician", practice)
    zoe = make_patient(db_session, practice, "Zoe Smith")
    db_session.commit()
    screens(identity)
    tab = opened(StaffRequestWizardState, f"{routes.PRACTICE_PHONE_REQUEST}?patient={zoe.id}")
    tab.event_handlers["load"].fn(tab)
    assert tab.errors == {"form": DEFAULT_REFUSAL} and tab.step == "loading" and tab.patient_label == ""
    assert not _clinician.can(Action.TAKE_PHONE_REQUEST)
