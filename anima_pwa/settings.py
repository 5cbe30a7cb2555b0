"""All configuration, read once from the environment.

Every variable here is documented in the README's configuration table. Nothing else in the
package reads ``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def sqlalchemy_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def _secret_key(instance_dir: Path) -> str:
    """ANIMA_SECRET_KEY, or a random key kept in the instance folder (created 0600 on first use)."""
    value = os.environ.get("ANIMA_SECRET_KEY", "").strip()
    if value:
        return value
    path = instance_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    port: int
    base_url: str
    db_url: str
    redis_url: str | None
    demo: bool
    smtp_url: str | None
    email_from: str
    secret_key: str = field(repr=False)
    instance_dir: Path
    trusted_proxy_hops: int
    outbox_poll_seconds: float
    nhs_login: NhsLoginSettings | None = None  # None: NHS login is switched off
    attachment_max_bytes: int = 10 * 1024 * 1024  # a photo sent with a reply (ANIMA_ATTACHMENT_MAX_BYTES)
    notify: NotifySettings | None = None  # None: email by SMTP (if set), text messages wait
    record_adapter: str = "file"  # where signed-off requests are written (services/inbox/record.py)
    push: PushSettings | None = None  # None: no web push (services/platform/notifications/push.py)

    @property
    def sqlalchemy_url(self) -> str:
        return sqlalchemy_url(self.db_url)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def origin(self) -> str:
        return self.base_url.rstrip("/")


@dataclass(frozen=True)
class NotifySettings:
    """GOV.UK Notify (``ANIMA_NOTIFY_API_KEY``): email and text messages go through it instead of SMTP.

    Templates map an Anima template name to a Notify template id; "*" is the one used for the rest.
    Each Notify template shows the ((subject)) and ((body)) Anima gives it (SMS: ((body))).
    """

    api_key: str = field(repr=False)
    base_url: str = "https://api.notifications.service.gov.uk"
    email_templates: dict[str, str] = field(default_factory=dict)
    sms_templates: dict[str, str] = field(default_factory=dict)


def parse_template_ids(raw: str) -> dict[str, str]:
    """``"*=<id>,practice_message=<id>"`` (or just ``"<id>"``, meaning "*") as a dict."""
    out: dict[str, str] = {}
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            name, value = "*", name
        out[name.strip()] = value.strip()
    return out


def notify_settings() -> NotifySettings | None:
    key = os.environ.get("ANIMA_NOTIFY_API_KEY", "").strip()
    if not key:
        return None
    return NotifySettings(
        api_key=key,
        base_url=os.environ.get("ANIMA_NOTIFY_BASE_URL", "").strip() or NotifySettings.base_url,
        email_templates=parse_template_ids(os.environ.get("ANIMA_NOTIFY_EMAIL_TEMPLATES", "")),
        sms_templates=parse_template_ids(os.environ.get("ANIMA_NOTIFY_SMS_TEMPLATES", "")),
    )


DEFAULT_NHS_LOGIN_SCOPES = "openid profile profile_extended email phone gp_registration_details"
DEFAULT_NHS_LOGIN_VTR = '["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]'


@dataclass(frozen=True)
class NhsLoginSettings:
    """NHS login (OpenID Connect). In demo mode, unless configured, the local emulator."""

    issuer: str
    client_id: str
    private_key_file: Path
    scopes: str
    vtr: str  # a JSON list, as NHS login takes it
    redirect_uri: str
    emulator: bool  # True only when demo mode filled these in for the local emulator
    emulator_port: int


def nhs_login_settings(port: int, base_url: str, demo: bool, instance_dir: Path) -> NhsLoginSettings | None:
    """NHS login as configured; with nothing configured, the local emulator in demo mode only."""
    issuer = os.environ.get("ANIMA_NHS_LOGIN_ISSUER", "").strip().rstrip("/")
    emulator_port = _int("ANIMA_NHS_LOGIN_EMULATOR_PORT", port + 1)
    emulator = not issuer and demo
    if emulator:
        issuer = f"http://localhost:{emulator_port}"
    if not issuer:
        return None
    key_file = os.environ.get("ANIMA_NHS_LOGIN_PRIVATE_KEY_FILE", "").strip()
    return NhsLoginSettings(
        issuer=issuer,
        client_id=os.environ.get("ANIMA_NHS_LOGIN_CLIENT_ID", "anima-demo" if emulator else "").strip(),
        private_key_file=Path(key_file) if key_file else instance_dir / "nhs_login_client_key.pem",
        scopes=os.environ.get("ANIMA_NHS_LOGIN_SCOPES", DEFAULT_NHS_LOGIN_SCOPES).strip(),
        vtr=os.environ.get("ANIMA_NHS_LOGIN_VTR", DEFAULT_NHS_LOGIN_VTR).strip(),
        redirect_uri=os.environ.get("ANIMA_NHS_LOGIN_REDIRECT_URI", f"{base_url}/nhs-login/callback").strip(),
        emulator=emulator,
        emulator_port=emulator_port,
    )


@dataclass(frozen=True)
class PushSettings:
    """Web push (VAPID, RFC 8292): the application server's P-256 private key, as a PEM file, and
    the contact the push services see (`sub`: a mailto: or https: address).

    ``ANIMA_VAPID_PRIVATE_KEY_FILE`` names the key; in demo mode without it, a key is made on first
    run in the instance folder (``vapid_private_key.pem``, 0600). Neither: push is off."""

    private_key_file: Path
    subject: str
    create_if_missing: bool = False


def push_settings(demo: bool, instance_dir: Path, base_url: str) -> PushSettings | None:
    key_file = os.environ.get("ANIMA_VAPID_PRIVATE_KEY_FILE", "").strip()
    if not key_file and not demo:
        return None
    default_subject = base_url if base_url.startswith("https://") else "mailto:no-reply@anima.localhost"
    return PushSettings(
        private_key_file=Path(key_file) if key_file else instance_dir / "vapid_private_key.pem",
        subject=os.environ.get("ANIMA_VAPID_SUBJECT", "").strip() or default_subject,
        create_if_missing=not key_file,
    )


def load() -> Settings:
    port = _int("ANIMA_PORT", 3000)
    instance_dir = Path(os.environ.get("ANIMA_INSTANCE_DIR", str(ROOT / "instance")))
    base_url = os.environ.get("ANIMA_BASE_URL", f"http://localhost:{port}").rstrip("/")
    demo = _bool("ANIMA_DEMO")
    return Settings(
        port=port,
        base_url=base_url,
        db_url=os.environ.get("REFLEX_DB_URL", f"sqlite:///{instance_dir / 'anima.db'}"),
        redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
        demo=demo,
        smtp_url=os.environ.get("ANIMA_SMTP_URL") or None,
        email_from=os.environ.get("ANIMA_EMAIL_FROM", "Anima <no-reply@anima.localhost>"),
        secret_key=_secret_key(instance_dir),
        instance_dir=instance_dir,
        trusted_proxy_hops=_int("ANIMA_TRUSTED_PROXY_HOPS", 0),
        outbox_poll_seconds=float(os.environ.get("ANIMA_OUTBOX_POLL_SECONDS", "2")),
        nhs_login=nhs_login_settings(port, base_url, demo, instance_dir),
        attachment_max_bytes=_int("ANIMA_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        notify=notify_settings(),
        record_adapter=os.environ.get("ANIMA_RECORD_ADAPTER", "file").strip() or "file",
        push=push_settings(demo, instance_dir, base_url),
    )


settings = load()
