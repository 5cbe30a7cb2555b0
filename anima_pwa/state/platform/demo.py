"""Demo mailbox state: only ever filled when the app runs with ANIMA_DEMO=1."""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from anima_pwa.db import session_scope
from anima_pwa.services.platform import notifications
from anima_pwa.settings import settings


class MailboxState(rx.State):
    messages: list[dict] = []

    @rx.event
    def load(self):
        if not settings.demo:
            self.messages = []
            return
        with session_scope() as db:
            messages = notifications.recent_messages(db, limit=30)
        for message in messages:
            sent = datetime.fromisoformat(message["created_at"])
            message["created_at"] = sent.strftime("%-d %b %Y, %H:%M UTC")
        self.messages = messages
