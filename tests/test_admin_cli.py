"""The admin CLI, run through ``main([...])`` against a temporary SQLite database.

``anima_pwa.db`` builds its engine from the settings object it imported, so the fixture swaps in a
copy of the settings with a temporary ``db_url`` (and, for send-outbox, an SMTP URL) in both
``anima_pwa.settings`` and ``anima_pwa.db``: the commands then run exactly as in production.
One test also runs the real ``python -m anima_pwa.admin migrate`` in a subprocess.
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from anima_pwa import admin, db
from anima_pwa import settings as settings_module
from anima_pwa.models import Account, AuditEvent, OutboxMessage, Patient, Practice, PracticeRegisterEntry, StaffMember
from anima_pwa.services.platform import audit, notifications
from anima_pwa.services.platform.demo import DEMO_STAFF
from anima_pwa.services.practice.practices import practice_by_ods_code

ROOT = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("cheap_argon2")  # tests/conftest.py: tiny argon2 parameters


@pytest.fixture
def use_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Point the app at a temporary SQLite file; returns a function to change other settings."""
    url = f"sqlite:///{tmp_path}/admin.db"

    def use(**changes):
        current = dataclasses.replace(settings_module.settings, **changes)
        monkeypatch.setattr(settings_module, "settings", current)
        monkeypatch.setattr(db, "settings", current)
        return current

    use(db_url=url, smtp_url=None)
    yield use
    engine = db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture
def migrated(use_settings, capsys: pytest.CaptureFixture) -> None:
    assert admin.main(["migrate"]) == 0
    capsys.readouterr()


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    status = admin.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_migrate_seed_and_pending_verifications_end_to_end(use_settings, capsys) -> None:
    status, out, _ = run(capsys, "migrate")
    assert status == 0 and "from revision (empty) to" in out
    status, out, _ = run(capsys, "migrate")
    assert status == 0 and "up to date" in out

    status, out, err = run(capsys, "seed-demo")
    assert (status, err) == (0, "")
    assert "5 created" in out and "Created staff admin riverside.admin@example.org" in out
    status, out, _ = run(capsys, "seed-demo")
    assert status == 0 and "--force" in out
    status, out, _ = run(capsys, "seed-demo", "--force")
    assert status == 0 and "5 unchanged" in out and "already exists" in out

    status, out, _ = run(capsys, "pending-verifications")
    assert (status, out) == (0, "No registrations are waiting for verification.\n")

    with db.session_scope() as session:
        practice = practice_by_ods_code(session, "Y90002")
        session.add(
            Patient(
                full_name="Jane Unlisted",
                date_of_birth=date(1990, 5, 6),
                nhs_number=None,
                postcode="MB4 1AA",
                practice_id=practice.id,
                verification_status="pending",
                verification_note="Not found on the practice register",
            )
        )
    status, out, _ = run(capsys, "pending-verifications")
    assert status == 0
    header, rule, row, total = out.splitlines()
    assert header.split()[:3] == ["Submitted", "(UTC)", "Practice"]
    assert "Y90002" in row and "Jane Unlisted" in row and "06/05/1990" in row
    assert "Not found on the practice register" in row and total == "1 waiting."
    status, out, _ = run(capsys, "pending-verifications", "--practice", "y90001")
    assert out == "No registrations are waiting for verification.\n"

    with db.session_scope() as session:
        assert session.exec(select(Practice)).all()
        assert len(session.exec(select(StaffMember)).all()) == len(DEMO_STAFF)
        listed = session.exec(select(AuditEvent).where(AuditEvent.action == "verification.pending_listed")).all()
        assert len(listed) == 1


def test_commands_before_migrate_explain_what_to_do(use_settings, capsys) -> None:
    status, _, err = run(capsys, "pending-verifications")
    assert status == 1
    assert "Database error" in err and "migrate` first" in err


def test_import_practices_and_register(migrated, tmp_path: Path, capsys) -> None:
    status, out, _ = run(capsys, "import-practices", str(ROOT / "anima_pwa/data/epraccur_sample.csv"))
    assert status == 0 and out.startswith("Practices from epraccur_sample.csv: 5 created")

    register = tmp_path / "register.csv"
    register.write_text(
        "nhs_number,given_names,family_name,date_of_birth,postcode\n"
        "9434765919,Ann,Example,1970-01-31,MB1 2AB\n"
        "9434765918,Bad,Number,1970-01-31,MB1 2AB\n"
    )
    status, out, _ = run(capsys, "import-register", "y90001", str(register))
    assert status == 0
    assert "Register of Y90001 Riverside Health Centre from register.csv: 1 created" in out
    assert "skipped row 3: NHS number '9434765918'" in out
    with db.session_scope() as session:
        assert [e.nhs_number for e in session.exec(select(PracticeRegisterEntry))] == ["9434765919"]
        assert session.exec(select(AuditEvent.action)).all() == ["register.imported"]

    status, _, err = run(capsys, "import-register", "Y99999", str(register))
    assert status == 1 and "No practice has the ODS code 'Y99999'" in err
    status, _, err = run(capsys, "import-register", "Y90001", str(tmp_path / "missing.csv"))
    assert status == 1 and "File not found" in err
    register.write_text("9434765919,Ann,Example,1970-01-31,MB1 2AB\n")
    status, _, err = run(capsys, "import-register", "Y90001", str(register))
    assert status == 1 and "header" in err


def test_create_staff(migrated, monkeypatch, capsys) -> None:
    run(capsys, "seed-demo")
    argv = ["create-staff", "--practice", "Y90003", "--email", "Nurse.Lee@Example.org",
            "--name", "Kim Lee", "--role", "clinician", "--password-stdin"]  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.StringIO("Quince-Ladder-81\n"))
    status, out, err = run(capsys, *argv)
    assert (status, err) == (0, "")
    assert out.startswith("Created clinician Kim Lee <Nurse.Lee@Example.org> at Y90003 Orchard Lane Medical Centre.\n")
    assert "emailed a link to set up multi-factor authentication" in out
    with db.session_scope() as session:
        account = session.exec(select(Account).where(Account.email_normalized == "nurse.lee@example.org")).one()
        assert account.kind == "staff" and account.mfa_enabled_at is None
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "staff.created")).one()
        assert event.account_id == account.id and event.actor_kind == "system"
        (email,) = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.template == "staff_mfa_enrolment", OutboxMessage.to_address == "Nurse.Lee@Example.org"
            )
        ).all()
        assert f"{settings_module.settings.base_url}/practice/enrol?token=" in email.body_text
        assert "Quince-Ladder-81" not in email.body_text and "Quince-Ladder-81" not in out

    monkeypatch.setattr(sys, "stdin", io.StringIO("Quince-Ladder-81\n"))
    status, _, err = run(capsys, *argv[:4], "nurse.lee@example.org", *argv[5:])
    assert status == 1 and "An account already exists for this email address" in err

    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    status, _, err = run(capsys, *argv[:4], "new@example.org", *argv[5:])
    assert status == 1 and err.startswith("Error: ")

    monkeypatch.setattr(sys, "stdin", io.StringIO("Quince-Ladder-81\n"))
    status, _, err = run(capsys, *argv[:7], "--role", "doctor", "--password-stdin")
    assert status == 1 and "Role must be one of receptionist, clinician, admin" in err


def test_create_staff_prompts_twice(migrated, monkeypatch, capsys) -> None:
    run(capsys, "seed-demo")
    answers = iter(["Quince-Ladder-81", "Quince-Ladder-82"])
    monkeypatch.setattr(admin.getpass, "getpass", lambda prompt="": next(answers))
    argv = ["create-staff", "--practice", "Y90003", "--email", "a@example.org", "--name", "A B", "--role", "admin"]
    status, _, err = run(capsys, *argv)
    assert status == 1 and "different" in err
    answers = iter(["Quince-Ladder-81", "Quince-Ladder-81"])
    status, out, _ = run(capsys, *argv)
    assert status == 0 and out.startswith("Created admin A B")


def test_staff_mfa_link_sends_a_new_link_revokes_older_ones_and_is_audited(migrated, monkeypatch, capsys) -> None:
    from anima_pwa.models import OneTimeToken
    from anima_pwa.services.identity import mfa, mfa_setup
    from anima_pwa.services.practice import staff

    run(capsys, "seed-demo")
    email = DEMO_STAFF[0].email
    status, out, err = run(capsys, "staff-mfa-link", "--email", email.upper())
    assert (status, err) == (0, "")
    assert out.startswith(f"Emailed a new multi-factor authentication set-up link to {email.upper()} (Helen Marsh).")
    with db.session_scope() as session:
        links = session.exec(select(OneTimeToken).where(OneTimeToken.purpose == staff.ENROLMENT)).all()
        mine = [t for t in links if t.email_normalized == email]
        assert len(mine) == 2 and [t.revoked_at is None for t in mine] == [False, True]  # older revoked
        assert (
            len(
                session.exec(
                    select(OutboxMessage).where(
                        OutboxMessage.template == "staff_mfa_enrolment", OutboxMessage.to_address == email
                    )
                ).all()
            )
            == 2
        )
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "staff.mfa_link_sent").order_by(AuditEvent.id.desc())
        ).first()
        assert audit.event_detail(event) == {"reason": "reissued", "older_links_revoked": 1}

        account = session.exec(select(Account).where(Account.email_normalized == email)).one()
        mfa_setup.start_setup(session, account)
        account.mfa_secret_encrypted, account.mfa_enabled_at = (
            mfa.encrypt_secret("JBSWY3DPEHPK3PXP"),
            account.created_at,
        )
        session.add(account)

    # Someone with MFA keeps it unless --reset (a lost phone).
    status, _, err = run(capsys, "staff-mfa-link", "--email", email)
    assert status == 1 and "already uses multi-factor authentication" in err and "--reset" in err
    status, out, err = run(capsys, "staff-mfa-link", "--email", email, "--reset")
    assert status == 0 and "signed out" in out
    with db.session_scope() as session:
        account = session.exec(select(Account).where(Account.email_normalized == email)).one()
        assert not mfa.is_enabled(account)
        assert [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()][-2:] == [
            "mfa_reset",
            "staff.mfa_link_sent",
        ]

    for argv in (["--email", "nobody@example.org"], ["--email", "not an email"]):
        status, _, err = run(capsys, "staff-mfa-link", *argv)
        assert status == 1 and "No active staff account" in err


def test_send_outbox(migrated, use_settings, monkeypatch, capsys) -> None:
    status, _, err = run(capsys, "send-outbox")
    assert status == 1 and "ANIMA_SMTP_URL is not set" in err

    use_settings(smtp_url="smtp://mail.example.org:2525", email_from="Anima <no-reply@example.org>")
    sent: list[tuple[str, str]] = []

    class FakeTransport:
        def __init__(self, config) -> None:
            assert (config.host, config.port) == ("mail.example.org", 2525)

        def send(self, message, *, sender: str) -> None:
            sent.append((message.to_address, sender))

    monkeypatch.setattr(notifications, "SmtpTransport", FakeTransport)
    with db.session_scope() as session:
        session.add(OutboxMessage(to_address="olivia@example.org", subject="Hello", body_text="Hi", template="test"))
    status, out, _ = run(capsys, "send-outbox")
    assert status == 0 and out == "Outbox: 1 sent, 0 to retry later, 0 failed for good.\n"
    assert sent == [("olivia@example.org", "Anima <no-reply@example.org>")]

    use_settings(smtp_url="http://nope")
    status, _, err = run(capsys, "send-outbox")
    assert status == 1 and "ANIMA_SMTP_URL is not usable" in err


def test_malformed_practices_file_imports_nothing(migrated, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('"Y91001","ONLY PRACTICE"\n')
    status, out, _ = run(capsys, "import-practices", str(bad))
    assert status == 0 and "skipped row 1: expected 27 columns, found 2" in out
    with db.session_scope() as session:
        assert session.exec(select(Practice)).all() == []


def test_a_command_failing_half_way_saves_nothing(migrated, tmp_path: Path, monkeypatch, capsys) -> None:
    run(capsys, "import-practices", str(ROOT / "anima_pwa/data/epraccur_sample.csv"))
    register = tmp_path / "register.csv"
    register.write_text(
        "nhs_number,given_names,family_name,date_of_birth,postcode\n9434765919,Ann,Example,1970-01-31,MB1 2AB\n"
    )

    def refuse(*_args, **_kwargs):
        raise ValueError("audit store unavailable")

    monkeypatch.setattr(audit, "record", refuse)  # fails after the register rows were added
    status, _, err = run(capsys, "import-register", "Y90001", str(register))
    assert status == 1 and "audit store unavailable" in err
    with db.session_scope() as session:
        assert session.exec(select(PracticeRegisterEntry)).all() == []


def test_python_dash_m_migrate_in_a_subprocess(tmp_path: Path) -> None:
    database = tmp_path / "sub.db"
    env = {
        **os.environ,
        "REFLEX_DB_URL": f"sqlite:///{database}",
        "ANIMA_INSTANCE_DIR": str(tmp_path / "instance"),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "anima_pwa.admin", "migrate"],
        cwd=tmp_path,  # not the repo: the alembic directory is found from the package
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Upgraded the database" in result.stdout
    engine = db.make_engine(f"sqlite:///{database}")
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"alembic_version", "practice", "practice_register_entry", "staff_member", "account"} <= tables


@pytest.mark.skipif(not os.environ.get("ANIMA_TEST_POSTGRES_URL"), reason="needs ANIMA_TEST_POSTGRES_URL")
def test_migrate_create_database_makes_a_missing_postgresql_database_once() -> None:
    """`make run-prod`: `migrate --create-database` creates anima_prod when it is missing."""
    import uuid

    from sqlalchemy import create_engine, text

    server = os.environ["ANIMA_TEST_POSTGRES_URL"]
    name = f"anima_cli_{uuid.uuid4().hex[:10]}"
    url = f"{server.rsplit('/', 1)[0]}/{name}"
    try:
        assert admin.create_database_if_missing(url) is True
        assert admin.create_database_if_missing(url) is False  # there now: left alone
    finally:
        engine = create_engine(settings_module.sqlalchemy_url(server), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    assert admin.create_database_if_missing("sqlite:///nowhere.db") is False  # SQLite makes its own file
