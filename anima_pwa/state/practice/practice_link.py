"""The practice's own link `/p/<ODS code>` and its poster: open to anyone, signed in or not. The
practice comes from the address (checked against the practices table), never from a var the
browser sends; the cookie that preselects it at sign-up is set by anima_pwa.http."""

from __future__ import annotations

import reflex as rx

from anima_pwa.db import session_scope
from anima_pwa.services.practice import practice_details, practice_link
from anima_pwa.settings import settings
from anima_pwa.state.base import SessionState, records_guarded


def details_vars(details: practice_details.PracticeDetails | None) -> dict:
    """Practice Details as the small display values the Practice Details panel shows."""
    if details is None:
        return {
            "practice_hours": [],
            "practice_closed_days": [],
            "practice_updates": "",
            "practice_turned_off": "",
        }
    return {
        "practice_hours": [{"day": r.day, "medical": r.medical, "admin": r.admin} for r in details.hours],
        "practice_closed_days": [{"day": day, "reason": reason} for day, reason in details.closed_days],
        "practice_updates": details.important_updates,
        "practice_turned_off": (
            (details.turned_off_message or "Online requests are turned off at the moment.")
            if details.turned_off
            else ""
        ),
    }


class PracticeLinkState(SessionState):
    found: bool = False
    ods_code: str = ""
    link: str = ""  # the full address, as printed on the poster
    poster_href: str = ""
    qr_code: str = ""  # a data: URI (poster only)
    practice_name: str = ""
    practice_phone: str = ""
    practice_hours: list[dict[str, str]] = []
    practice_closed_days: list[dict[str, str]] = []
    practice_updates: str = ""
    practice_turned_off: str = ""

    @rx.event
    @records_guarded
    def load(self):
        self._identity()  # the header shows "Settings" and "Sign out" to someone signed in
        path = self.router.url.path
        code = practice_link.ods_from_path(path)
        details = None
        with session_scope() as db:
            practice = practice_link.find(db, code) if code else None
            if practice is not None:
                details = practice_link.details_for(db, practice)
        self.found = details is not None
        if practice is None or details is None:
            self.ods_code = self.link = self.poster_href = self.qr_code = ""
            self.practice_name = self.practice_phone = ""
            for name, value in details_vars(None).items():
                setattr(self, name, value)
            return
        self.ods_code = practice.ods_code
        self.link = practice_link.link_url(settings.origin, practice.ods_code)
        self.poster_href = practice_link.poster_path(practice.ods_code)
        self.qr_code = practice_link.qr_data_uri(self.link) if path.rstrip("/").endswith("/poster") else ""
        self.practice_name = details.name
        self.practice_phone = details.phone
        for name, value in details_vars(details).items():
            setattr(self, name, value)
