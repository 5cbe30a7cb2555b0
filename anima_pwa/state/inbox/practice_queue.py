"""Workspace: the practice's queue. The filters and the page live in the URL's query (links, so a
reload or a shared link keeps them); the service checks every value."""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services import questionnaires
from anima_pwa.services.inbox import queue
from anima_pwa.services.practice.permissions import Action, StaffContext
from anima_pwa.state.practice.workspace import PracticeState, staff_required

FILTER_NAMES = ("team", "status", "assignee", "kind", "replied")


def _href(filters: dict[str, str], page: int = 1) -> str:
    query = {k: v for k, v in filters.items() if v}
    if page > 1:
        query["page"] = str(page)
    return routes.PRACTICE_REQUESTS + (f"?{urlencode(query)}" if query else "")


def _row(r: queue.QueueRow) -> dict[str, str]:
    return {
        "id": str(r.id),
        "href": f"{routes.PRACTICE_REQUEST}?id={r.id}",
        "reference": r.reference,
        "patient": r.patient_name,
        "subject": r.subject or "(no subject)",
        "kind": queue.KIND_LABELS.get(r.kind, r.kind),
        "urgency": r.urgency,
        "urgency_label": r.urgency_label,
        "team": r.team,
        "assignee": r.assignee or "Not assigned",
        "status": r.status_label,
        "submitted": r.submitted,
        "waited": r.waited,
        "by_phone": "By phone" if r.by_phone else "",
        "no_response": "No response yet today" if r.no_response_today else "",
        "replied": r.replied,
    }


class PracticeQueueState(PracticeState):
    rows: list[dict[str, str]] = []
    # Each filter's options: {"label", "count", "href", "current" ("yes" | "")}.
    team_options: list[dict[str, str]] = []
    status_options: list[dict[str, str]] = []
    assignee_options: list[dict[str, str]] = []
    kind_options: list[dict[str, str]] = []
    replied_options: list[dict[str, str]] = []
    pages: list[dict[str, str]] = []  # {"number", "href", "current"}
    page: int = 1
    page_count: int = 1
    total: int = 0
    open_total: int = 0
    filtered: bool = False
    clear_href: str = routes.PRACTICE_REQUESTS
    previous_href: str = ""
    next_href: str = ""
    error: str = ""

    def _denied(self, message: str) -> None:
        self.rows, self.error = [], message

    @rx.event
    @staff_required(Action.VIEW_REQUESTS)
    def load(self, staff: StaffContext):
        params = self.router.url.query_parameters
        filters = queue.parse_filter({k: params.get(k, "") for k in FILTER_NAMES})
        with session_scope() as db:
            found = queue.queue(db, staff, filters, page=params.get("page", "1"))
        current = {k: getattr(found.filters, k) for k in FILTER_NAMES}

        def options(name: str, choices: list[tuple[str, str]]) -> list[dict[str, str]]:
            counts = found.counts.get(name, {})
            out = [
                {
                    "label": "All",
                    "count": str(found.open_total),
                    "href": _href({**current, name: ""}),
                    "current": "" if current[name] else "yes",
                }
            ]
            for value, label in choices:
                out.append(
                    {
                        "label": label,
                        "count": str(counts.get(value, 0)),
                        "href": _href({**current, name: value}),
                        "current": "yes" if current[name] == value else "",
                    }
                )
            return out

        self.team_options = options("team", list(questionnaires.TEAMS.items()))
        self.status_options = options("status", [(k, queue.STATUS_LABELS[k]) for k in ("submitted", "assigned",
                                                                                         "awaiting_patient")])  # fmt: skip
        self.kind_options = options("kind", list(queue.KIND_LABELS.items()))
        self.replied_options = options("replied", [("1", "Patient replied")])
        self.assignee_options = options(
            "assignee",
            [("me", "Assigned to me"), ("unassigned", "Not assigned")] + [(str(i), n) for i, n in found.staff],
        )
        self.rows = [_row(r) for r in found.rows]
        self.page, self.page_count, self.total, self.open_total = found.page, found.pages, found.total, found.open_total
        self.pages = [
            {"number": str(n), "href": _href(current, n), "current": "yes" if n == found.page else ""}
            for n in range(1, found.pages + 1)
        ]
        self.previous_href = _href(current, found.page - 1) if found.page > 1 else ""
        self.next_href = _href(current, found.page + 1) if found.page < found.pages else ""
        self.filtered = any(current.values())
        self.error = ""
