"""Notifications (email, and SMS when a provider is configured) through a transactional outbox.

- ``templates``: the words of every notification (no clinical content ever) and ``render``;
- ``outbox``: ``enqueue_email`` / ``enqueue_sms`` write a message in the caller's transaction; the demo mailbox;
- ``smtp``: the ``ANIMA_SMTP_URL`` format and the SMTP transport;
- ``notify``: the GOV.UK Notify transport (email and SMS) used when ``ANIMA_NOTIFY_API_KEY`` is set;
- ``errors``: how a transport says a failure is permanent or the provider is down;
- ``delivery``: ``deliver_due`` claims due messages, sends them and retries with backoff;
  ``run_sender`` runs it in the background.

The public names are re-exported here, so callers write ``notifications.enqueue_email(...)``.
"""

from anima_pwa.services.platform.notifications.delivery import (
    BACKOFF_FIRST_SECONDS,
    BACKOFF_MAX_SECONDS,
    CLAIM_SECONDS,
    MAX_ATTEMPTS,
    SENT_BODY,
    DeliveryReport,
    SessionFactory,
    Transport,
    backoff,
    deliver_due,
    run_sender,
    sms_provider_configured,
    transports_for,
)
from anima_pwa.services.platform.notifications.errors import PermanentFailure, ProviderUnavailable
from anima_pwa.services.platform.notifications.outbox import (
    enqueue_email,
    enqueue_sms,
    extract_links,
    is_sms_number,
    recent_messages,
)
from anima_pwa.services.platform.notifications.smtp import (
    SMTP_TIMEOUT_SECONDS,
    SmtpConfig,
    SmtpTransport,
    build_email,
    parse_smtp_url,
)
from anima_pwa.services.platform.notifications.templates import (
    SMS_TEMPLATES,
    TEMPLATES,
    render,
    render_sms,
    template_fields,
)

__all__ = [
    "BACKOFF_FIRST_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "CLAIM_SECONDS",
    "MAX_ATTEMPTS",
    "SENT_BODY",
    "SMS_TEMPLATES",
    "SMTP_TIMEOUT_SECONDS",
    "TEMPLATES",
    "DeliveryReport",
    "PermanentFailure",
    "ProviderUnavailable",
    "SessionFactory",
    "SmtpConfig",
    "SmtpTransport",
    "Transport",
    "backoff",
    "build_email",
    "deliver_due",
    "enqueue_email",
    "enqueue_sms",
    "extract_links",
    "is_sms_number",
    "parse_smtp_url",
    "recent_messages",
    "render",
    "render_sms",
    "run_sender",
    "sms_provider_configured",
    "transports_for",
    "template_fields",
]
