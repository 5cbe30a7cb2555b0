"""The practice's queue: its open requests, most urgent first, then oldest first, ordered and paged
in SQL (``Request.urgency_rank, submitted_at, id``) so an urgent request sent after hundreds of
routine ones is still on the first page.

Filters (each optional, unknown values ignored): the team (the team it is assigned to, else the
team triage suggested), the status, who has it (a member of staff's id, "unassigned" or "me"), the
kind (medical or admin) and "the patient has replied" (a reply the practice has not answered yet:
``patient_replied_at``, cleared by a message from staff or the sign-off; each such row says so). Each option's count comes from one grouped query over the practice's
open requests. Each row says how long the request has waited, in words, and marks a request that
came in during core hours today and has had no first response from the practice (a message from
staff sets ``first_response_at``; assigning it does not). Every look is audited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, text
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from anima_pwa.models import OPEN_SQL, OPEN_STATUSES, Patient, Request, StaffMember
from anima_pwa.services import questionnaires
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.practice import core_hours, permissions
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = [
    "KIND_LABELS",
    "PAGE_SIZE",
    "STATUS_LABELS",
    "QueueFilter",
    "QueuePage",
    "QueueRow",
    "parse_filter",
    "queue",
    "waited",
]

PAGE_SIZE = 25
UNASSIGNED = "unassigned"
ME = "me"
# What staff read (the patient's words are in services/inbox/patient_view.STATUS_LABELS).
STATUS_LABELS = {
    "submitted": "New",
    "assigned": "Assigned",
    "awaiting_patient": "Waiting for the patient",
    "resolved": "Signed off",
    "closed": "Closed",
}
KIND_LABELS = {"medical": "Medical", "admin": "Admin"}


@dataclass(frozen=True)
class QueueFilter:
    team: str = ""
    status: str = ""
    assignee: str = ""  # a staff id (digits), "unassigned" or "me"
    kind: str = ""
    replied: str = ""  # "1": only requests with a reply the practice has not answered

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in (("team", self.team), ("status", self.status), ("assignee", self.assignee),
                                  ("kind", self.kind), ("replied", self.replied)) if v}  # fmt: skip


def parse_filter(raw: Mapping[str, object]) -> QueueFilter:
    """The filters from a URL's query (anything the browser sent): unknown values become no filter."""

    def value(key: str) -> str:
        found = raw.get(key, "")
        return found if isinstance(found, str) else ""

    team = value("team") if value("team") in questionnaires.TEAMS else ""
    status = value("status") if value("status") in OPEN_STATUSES else ""
    kind = value("kind") if value("kind") in KIND_LABELS else ""
    assignee = value("assignee")
    if assignee not in (UNASSIGNED, ME) and permissions.record_id(assignee) is None:
        assignee = ""
    replied = "1" if value("replied") == "1" else ""
    return QueueFilter(team=team, status=status, assignee=assignee, kind=kind, replied=replied)


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    patient_name: str
    subject: str
    kind: str
    urgency: str
    urgency_label: str
    team: str  # the team it is assigned to, else the suggested one (label)
    assignee: str  # the member of staff who has it, or ""
    status: str
    status_label: str
    submitted: str
    waited: str  # "2 hours"
    by_phone: bool
    no_response_today: bool  # came in during core hours today and nobody has answered yet
    replied: str = ""  # "Patient replied 10 minutes ago": a reply the practice has not answered


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    pages: int
    total: int  # matching the filters
    filters: QueueFilter
    # option counts over all the practice's open requests: {"team": {"gp": 3}, "status": {...},
    # "assignee": {"12": 2, "unassigned": 5, "me": 1}, "kind": {"medical": 4}}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    staff: list[tuple[int, str]] = field(default_factory=list)  # the practice's active staff (id, name)
    open_total: int = 0


def _plural(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def waited(since: datetime | None, now: datetime) -> str:
    """How long since ``since``, in words: "Just now", "25 minutes", "1 hour", "3 days"."""
    if since is None:
        return ""
    seconds = max(0, int((clock.as_utc(now) - clock.as_utc(since)).total_seconds()))
    if seconds < 60:
        return "Just now"
    if seconds < 3600:
        return _plural(seconds // 60, "minute")
    if seconds < 86400:
        return _plural(seconds // 3600, "hour")
    return _plural(seconds // 86400, "day")


def _replied(at: datetime | None, now: datetime) -> str:
    """ "Patient replied 10 minutes ago" ("just now" under a minute), or "" with no reply waiting."""
    if at is None:
        return ""
    since = waited(at, now)
    return "Patient replied just now" if since == "Just now" else f"Patient replied {since} ago"


def _effective_team():
    return case((col(Request.assigned_team) != "", col(Request.assigned_team)), else_=col(Request.team))


def _open():
    """The request is open, in the very words of the partial indexes ``ix_request_queue`` and
    ``ix_request_queue_counts`` (literal SQL, not a bound IN list, so both planners can use them)."""
    return text(f"request.{OPEN_SQL}")


def _where(staff: StaffContext, filters: QueueFilter) -> list:
    conditions = [Request.practice_id == staff.practice_id, _open()]
    if filters.team:
        conditions.append(_effective_team() == filters.team)
    if filters.status:
        conditions.append(Request.status == filters.status)
    if filters.kind:
        conditions.append(Request.kind == filters.kind)
    if filters.assignee == UNASSIGNED:
        conditions.append(col(Request.assigned_staff_id).is_(None))
    elif filters.assignee == ME:
        conditions.append(Request.assigned_staff_id == staff.staff_id)
    elif filters.assignee:
        conditions.append(Request.assigned_staff_id == int(filters.assignee))
    if filters.replied:
        conditions.append(col(Request.patient_replied_at).is_not(None))
    return conditions


def _counts(session: Session, staff: StaffContext) -> tuple[dict[str, dict[str, int]], int]:
    """Every filter option's count, from one grouped query. It groups by the plain columns in the
    order of ``ix_request_queue_counts`` so SQLite aggregates while reading that index (no sort of
    every open request); the effective team (assigned, else suggested) is worked out here."""
    columns = (
        col(Request.kind),
        col(Request.assigned_staff_id),
        col(Request.assigned_team),
        col(Request.team),
        col(Request.status),
    )
    # Six columns: SQLAlchemy's select (SQLModel's is typed for up to four).
    rows = session.execute(
        sql_select(*columns, func.count())
        .where(col(Request.practice_id) == staff.practice_id, _open())
        .group_by(col(Request.practice_id), *columns)
    ).all()
    counts: dict[str, Counter] = {"team": Counter(), "status": Counter(), "assignee": Counter(), "kind": Counter()}
    total = 0
    for kind, assignee, assigned_team, team, status, number in rows:
        total += number
        counts["team"][assigned_team or team or ""] += number
        counts["status"][status] += number
        counts["kind"][kind] += number
        counts["assignee"][UNASSIGNED if assignee is None else str(assignee)] += number
        if assignee == staff.staff_id:
            counts["assignee"][ME] += number
    # Replies waiting for the practice: a second count, read from the small partial index
    # ix_request_replied (only open requests with one).
    replied = session.exec(
        select(func.count())
        .select_from(Request)
        .where(
            Request.practice_id == staff.practice_id,
            text(f"request.{OPEN_SQL} AND request.patient_replied_at IS NOT NULL"),
        )
    ).one()
    return {**{name: dict(counter) for name, counter in counts.items()}, "replied": {"1": replied}}, total


def _total(
    session: Session, filters: QueueFilter, conditions: list, counts: dict[str, dict[str, int]], open_total: int
) -> int:
    """How many open requests match: with no filter or one, read from the grouped counts (no second
    pass over the practice's open requests); with several, counted."""
    chosen = [(name, value) for name, value in filters.as_query().items()]
    if not chosen:
        return open_total
    if len(chosen) == 1:
        name, value = chosen[0]
        if name == "assignee" and value not in (UNASSIGNED, ME):
            value = str(permissions.record_id(value))
        return counts.get(name, {}).get(value, 0)
    return session.exec(select(func.count()).select_from(Request).where(*conditions)).one()


def _staff_names(session: Session, practice_id: int) -> dict[int, str]:
    return {
        staff_id: name
        for staff_id, name in session.exec(
            select(col(StaffMember.id), StaffMember.display_name)
            .where(StaffMember.practice_id == practice_id, StaffMember.active == True)  # noqa: E712
            .order_by(col(StaffMember.display_name))
        ).all()
        if staff_id is not None
    }


def queue(
    session: Session, staff: StaffContext | None, filters: QueueFilter | None = None, *, page: object = 1
) -> QueuePage:
    """One page of the practice's open requests (25 a page), most urgent first, then oldest first."""
    staff = permissions.require(staff, Action.VIEW_REQUESTS)
    filters = filters or QueueFilter()
    conditions = _where(staff, filters)
    counts, open_total = _counts(session, staff)
    total = _total(session, filters, conditions, counts, open_total)
    pages = max(1, -(-total // PAGE_SIZE))
    number = permissions.record_id(page) or 1
    number = min(number, pages)
    order = (col(Request.urgency_rank), col(Request.submitted_at), col(Request.id))
    # The page's ids first, from ix_request_queue alone (in order, no sort, no table rows for the
    # ones skipped), then those rows with their patient: a late page doesn't read every row before it.
    page_ids = session.exec(
        select(Request.id).where(*conditions).order_by(*order).offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    # No ORDER BY here (the ids are in order): with one, SQLite walks the index for its order
    # instead of reading 25 rows by primary key.
    position = {request_id: index for index, request_id in enumerate(page_ids)}
    found = sorted(
        session.exec(
            select(Request, Patient)
            .join(Patient, Patient.id == Request.patient_id)  # type: ignore[arg-type]
            .where(col(Request.id).in_(page_ids), *conditions)
        ).all()
        if page_ids
        else [],
        key=lambda pair: position[pair[0].id],
    )
    names = _staff_names(session, staff.practice_id)
    now = clock.utcnow()
    period = core_hours.core_period(clock.today(now))
    rows = []
    for request, patient in found:
        submitted = request.submitted_at
        came_in_core = period is not None and submitted is not None and period[0] <= clock.as_utc(submitted) < period[1]
        team_key = request.assigned_team or request.team
        rows.append(
            QueueRow(
                id=request.id,  # type: ignore[arg-type]
                reference=request.reference or "",
                patient_name=patient.full_name,
                subject=request.subject,
                kind=request.kind,
                urgency=request.urgency,
                urgency_label=questionnaires.URGENCY_LABELS.get(request.urgency, request.urgency),
                team=questionnaires.TEAMS.get(team_key, team_key),
                assignee=names.get(request.assigned_staff_id, "") if request.assigned_staff_id else "",
                status=request.status,
                status_label=STATUS_LABELS.get(request.status, request.status),
                submitted=display_time(submitted),
                waited=waited(submitted, now),
                by_phone=request.created_by_staff_id is not None,
                no_response_today=came_in_core and request.first_response_at is None,
                replied=_replied(request.patient_replied_at, now),
            )
        )
    audit.record_staff(
        session, staff, "request_list_viewed", detail={"results": len(rows), "page": number, **filters.as_query()}
    )
    return QueuePage(
        rows=rows,
        page=number,
        pages=pages,
        total=total,
        filters=filters,
        counts=counts,
        staff=list(names.items()),
        open_total=open_total,
    )


def display_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = clock.to_london(moment)
    return f"{local.day} {local:%b %Y, %H:%M}"
