"""GOV.UK Notify: email and text messages through the official client (``notifications-python-client``).

The API key is ``<key name>-<service id (UUID)>-<secret (UUID)>``; the client signs each request
with a JWT (HS256 with the secret, ``iss`` the service id, ``iat`` now). Each outbox message goes to
the Notify template configured for its Anima template (or "*"), with the text Anima rendered as
personalisation: ``subject`` and ``body`` for email, ``body`` for SMS, so Notify templates are
``((subject))`` / ``((body))`` and the words stay in ``templates.py``.

Notify's answers: 201 sent; 400 the request can't ever succeed (an invalid address or number, a
template that doesn't exist): ``PermanentFailure``, not retried; 403 (bad key), 429 (rate limit),
5xx and connection errors: ``ProviderUnavailable``, retried later and the rest of the batch left.
"""

from __future__ import annotations

import re

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from anima_pwa.models.notifications import OutboxMessage
from anima_pwa.services.platform.notifications.errors import PermanentFailure, ProviderUnavailable
from anima_pwa.settings import NotifySettings

NOTIFY_TIMEOUT_SECONDS = 10
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_KEY_RE = re.compile(rf".+-({_UUID})-({_UUID})", re.IGNORECASE)


def check_api_key(api_key: str) -> str:
    """The service id of a Notify API key; ValueError if the key isn't name-serviceid-secret."""
    match = _KEY_RE.fullmatch((api_key or "").strip())
    if not match:
        raise ValueError("ANIMA_NOTIFY_API_KEY must be a GOV.UK Notify API key: <name>-<service id>-<secret>")
    return match.group(1)


def _errors_text(error: APIError) -> str:
    message = error.message
    if isinstance(message, list):
        return "; ".join(
            f"{item.get('error', '')}: {item.get('message', '')}" for item in message if isinstance(item, dict)
        )
    return str(message)


class NotifyTransport:
    """Sends outbox messages (email and SMS) through GOV.UK Notify."""

    def __init__(self, config: NotifySettings, *, timeout: int = NOTIFY_TIMEOUT_SECONDS) -> None:
        check_api_key(config.api_key)
        if not config.email_templates:
            raise ValueError("ANIMA_NOTIFY_EMAIL_TEMPLATES is empty: give the Notify email template id(s)")
        self.config = config
        self.timeout = timeout

    def template_id(self, message: OutboxMessage) -> str:
        templates = self.config.sms_templates if message.channel == "sms" else self.config.email_templates
        template_id = templates.get(message.template) or templates.get("*")
        if not template_id:
            raise ProviderUnavailable(f"no Notify {message.channel} template id for {message.template!r}")
        return template_id

    def send(self, message: OutboxMessage, *, sender: str) -> None:  # noqa: ARG002 - Notify sets the sender
        """Deliver one message; PermanentFailure (400) or ProviderUnavailable (anything else)."""
        template_id = self.template_id(message)
        # The client is not thread-safe: one per send (deliver_due sends one message at a time).
        client = NotificationsAPIClient(self.config.api_key, base_url=self.config.base_url, timeout=self.timeout)
        reference = f"anima-outbox-{message.id}"
        try:
            if message.channel == "sms":
                client.send_sms_notification(
                    phone_number=message.to_address,
                    template_id=template_id,
                    personalisation={"body": message.body_text},
                    reference=reference,
                )
            else:
                client.send_email_notification(
                    email_address=message.to_address,
                    template_id=template_id,
                    personalisation={"subject": message.subject, "body": message.body_text},
                    reference=reference,
                )
        except APIError as error:
            text = f"GOV.UK Notify {error.status_code}: {_errors_text(error)}"
            if error.status_code == 400:
                raise PermanentFailure(text) from None
            raise ProviderUnavailable(text) from None
        except Exception as error:  # noqa: BLE001 - anything else (bad response, bug in the client)
            raise ProviderUnavailable(f"GOV.UK Notify: {type(error).__name__}: {error}") from None
