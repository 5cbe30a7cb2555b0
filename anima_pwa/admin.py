"""The admin command line: ``python -m anima_pwa.admin <command> ...``.

Commands run against the database the settings point at (``REFLEX_DB_URL``, by default the SQLite
file in the instance folder). Each runs in one transaction through ``anima_pwa.db.session_scope``:
committed when it succeeds, rolled back on any error, so a failed import leaves nothing behind.
Errors go to stderr and give a non-zero exit status.

    migrate [--create-database]              create or upgrade the tables (alembic upgrade head);
                                             --create-database: a PostgreSQL database first, if missing
    seed-demo [--force]                      add the demo practices, registers and admins
    import-practices FILE                    import or refresh practices from an epraccur CSV
    import-register ODS_CODE FILE            import or refresh a practice's register CSV
    create-staff --practice ODS --email E --name N --role R [--password-stdin]
    staff-mfa-link --email E [--reset]       email a member of staff a new MFA set-up link
    pending-verifications [--practice ODS]   registrations waiting for manual verification
    send-outbox                              one delivery pass of queued emails (ANIMA_SMTP_URL)
    create-book --practice ODS --name N (--clinician-email E | --team T) [--site-name S] [--site-address A]
    add-rota --book ID --day Monday --start 09:00 --end 12:00 --slot-minutes 10 --kind face_to_face
    add-days-off --book ID --first 2027-04-05 [--last 2027-04-09] [--reason R]
    generate-slots [--weeks 6]               make the coming weeks' slots from every book's rota
    list-books [--practice ODS]              the appointment books, their rota and free slots
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import OperationalError, ProgrammingError

from anima_pwa import db
from anima_pwa import settings as settings_module
from anima_pwa.settings import ROOT

ALEMBIC_INI = ROOT / "alembic.ini"
ALEMBIC_DIR = ROOT / "alembic"


class CommandError(Exception):
    """A problem to report in one line, with exit status 1 (or ``status``)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _out(text: str = "") -> None:
    print(text, file=sys.stdout)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# migrate


def alembic_config():
    """The repo's alembic configuration, with an absolute script location (works from any cwd)."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    if not config.get_main_option("path_separator"):
        config.set_main_option("path_separator", "os")  # alembic's non-deprecated path splitting
    config.attributes["configure_logger"] = False  # keep the caller's logging as it is
    return config


def create_database_if_missing(url: str) -> bool:
    """Create the PostgreSQL database ``url`` names, connecting to the server's ``postgres``
    database as the same user (who needs CREATEDB); True if it was created. SQLite files are
    created by connecting, so nothing to do for them."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from anima_pwa.settings import sqlalchemy_url

    target = make_url(sqlalchemy_url(url))
    if not target.drivername.startswith("postgresql") or not target.database:
        return False
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if exists:
                return False
            quoted = connection.dialect.identifier_preparer.quote(target.database)
            connection.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        admin.dispose()


def cmd_migrate(args: argparse.Namespace) -> int:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from alembic import command

    if getattr(args, "create_database", False) and create_database_if_missing(settings_module.settings.db_url):
        _out("Created the database.")
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine().begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection  # alembic/env.py uses this connection
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    db.engine().dispose()  # alembic/env.py may have switched SQLite's foreign keys off on that connection
    if before == after:
        _out(f"The database is up to date (revision {after}).")
    else:
        _out(f"Upgraded the database from revision {before or '(empty)'} to {after} (head {head}).")
    return 0


# ---------------------------------------------------------------------------------------------
# Data commands


def _practice(session, ods_code: str):
    from anima_pwa.services.practice.practices import practice_by_ods_code

    practice = practice_by_ods_code(session, ods_code)
    if practice is None:
        raise CommandError(f"No practice has the ODS code {ods_code.strip().upper()!r}.")
    return practice


def _readable_file(path: str) -> Path:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"File not found: {path}")
    return file


def _print_import(report, what: str) -> None:
    _out(f"{what}: {report.summary()}")
    for problem in report.problems:
        _out(f"  skipped {problem}")


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from anima_pwa.services.platform.demo import seed_demo

    with db.session_scope() as session:
        report = seed_demo(session, if_empty=not args.force)
    for line in report.lines():
        _out(line)
    return 0


def cmd_import_practices(args: argparse.Namespace) -> int:
    from anima_pwa.services.practice.practices import import_epraccur

    file = _readable_file(args.file)
    with db.session_scope() as session:
        report = import_epraccur(session, file)
    _print_import(report, f"Practices from {file.name}")
    return 0


def cmd_import_register(args: argparse.Namespace) -> int:
    from anima_pwa.services.platform import audit
    from anima_pwa.services.practice.practices import import_register

    file = _readable_file(args.file)
    with db.session_scope() as session:
        practice = _practice(session, args.ods_code)
        report = import_register(session, practice, file)
        audit.record(
            session,
            action="register.imported",
            actor_account_id=None,
            actor_kind="system",
            practice_id=practice.id,
            detail={
                "source": "admin_cli",
                "created": report.created,
                "updated": report.updated,
                "skipped": report.skipped,
            },
        )
        label = f"Register of {practice.ods_code} {practice.name} from {file.name}"
    _print_import(report, label)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        value = sys.stdin.readline()
        password = value[:-1] if value.endswith("\n") else value
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise CommandError("No password was given on standard input.")
        return password
    first = getpass.getpass("Password for the new staff account: ")
    second = getpass.getpass("Type the password again: ")
    if first != second:
        raise CommandError("The two passwords are different; nothing was created.")
    return first


def cmd_create_staff(args: argparse.Namespace) -> int:
    from anima_pwa.services.identity import passwords
    from anima_pwa.services.platform import audit
    from anima_pwa.services.practice.staff import ROLES, create_staff

    if args.role not in ROLES:
        raise CommandError(f"Role must be one of {', '.join(ROLES)}.")
    password = _read_password(args)
    problem = passwords.check_password(password, email=args.email)  # before touching the database
    if problem:
        raise CommandError(problem)
    with db.session_scope() as session:
        practice = _practice(session, args.practice)
        member = create_staff(
            session,
            practice=practice,
            email=args.email,
            display_name=args.name,
            role=args.role,
            password=password,
            base_url=settings_module.settings.base_url,
        )
        audit.record(
            session,
            action="staff.created",
            actor_account_id=None,
            actor_kind="system",
            account_id=member.account_id,
            practice_id=practice.id,
            detail={"source": "admin_cli", "role": member.role},
        )
        text = (
            f"Created {member.role} {member.display_name} <{args.email.strip()}> "
            f"at {practice.ods_code} {practice.name}.\n"
            "They have been emailed a link to set up multi-factor authentication; they can't sign in "
            "until they have used it. Give them their password separately."
        )
    _out(text)
    return 0


def cmd_staff_mfa_link(args: argparse.Namespace) -> int:
    from anima_pwa.services.practice import staff

    current = settings_module.settings
    with db.session_scope() as session:
        member = staff.reissue_enrolment_link(session, email=args.email, base_url=current.base_url, reset=args.reset)
        text = f"Emailed a new multi-factor authentication set-up link to {args.email.strip()} ({member.display_name})."
        if args.reset:
            text += " Their old authenticator and recovery codes no longer work, and they have been signed out."
        text += " Links sent before this one no longer work."
    _out(text)
    return 0


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def cmd_pending_verifications(args: argparse.Namespace) -> int:
    from anima_pwa.services.patients.verification import pending_verifications
    from anima_pwa.services.platform import audit
    from anima_pwa.services.platform.validation import format_nhs_number

    with db.session_scope() as session:
        practice_id = _practice(session, args.practice).id if args.practice else None
        pending = pending_verifications(session, practice_id=practice_id)
        if pending:  # an operator reading patients' details: leave a trace
            audit.record(
                session,
                action="verification.pending_listed",
                actor_account_id=None,
                actor_kind="system",
                practice_id=practice_id,
                detail={"source": "admin_cli", "count": len(pending)},
            )
    if not pending:
        _out("No registrations are waiting for verification.")
        return 0
    headers = ["Submitted (UTC)", "Practice", "Patient", "Name", "Born", "NHS number", "Postcode", "Reason"]
    rows = [
        [
            item.submitted_at.strftime("%Y-%m-%d %H:%M"),
            item.practice_ods_code,
            str(item.patient_id),
            item.full_name,
            item.date_of_birth.strftime("%d/%m/%Y"),
            format_nhs_number(item.nhs_number) if item.nhs_number else "-",
            item.postcode,
            item.reason or "-",
        ]
        for item in pending
    ]
    for line in _table(headers, rows):
        _out(line)
    _out(f"{len(pending)} waiting.")
    return 0


def cmd_send_outbox(_args: argparse.Namespace) -> int:
    current = settings_module.settings
    if current.notify is not None:  # GOV.UK Notify: email and text messages
        from anima_pwa.services.platform.notifications import deliver_due, transports_for

        try:
            transports = transports_for(current)
        except ValueError as exc:
            raise CommandError(f"ANIMA_NOTIFY_API_KEY is not usable: {exc}") from None
        report = deliver_due(db.session_scope, transports, sender=current.email_from)
        _out(f"Outbox: {report.sent} sent, {report.retried} to retry later, {report.failed} failed for good.")
        return 0 if report.failed == 0 else 1
    if not current.smtp_url:
        raise CommandError(
            "ANIMA_SMTP_URL is not set, so there is no mail server to send through "
            "(e.g. ANIMA_SMTP_URL=smtp://user:password@mail.example.org:587?starttls=1)."
        )
    from anima_pwa.services.platform.notifications import SmtpTransport, deliver_due, parse_smtp_url

    try:
        transport = SmtpTransport(parse_smtp_url(current.smtp_url))
    except ValueError as exc:
        raise CommandError(f"ANIMA_SMTP_URL is not usable: {exc}") from None
    report = deliver_due(db.session_scope, transport, sender=current.email_from)
    _out(f"Outbox: {report.sent} sent, {report.retried} to retry later, {report.failed} failed for good.")
    return 0 if report.failed == 0 else 1


def cmd_purge(_args: argparse.Namespace) -> int:
    from anima_pwa.services.platform.maintenance import purge

    with db.session_scope() as session:
        report = purge(session)
    _out(
        f"Deleted {report.rate_limit_hits} old rate-limit records, {report.sessions} ended sessions, "
        f"{report.tokens} expired links and codes, {report.outbox} old delivered emails."
    )
    return 0


# ---------------------------------------------------------------------------------------------
# Appointment books (issue 12)


def _fail_on(result) -> None:
    if not result.ok:
        raise CommandError("; ".join(f"{field}: {message}" for field, message in result.errors.items()))


def _book(session, book_id: int):
    from anima_pwa.models import AppointmentBook

    book = session.get(AppointmentBook, book_id)
    if book is None:
        raise CommandError(f"No appointment book has the id {book_id}.")
    return book


def cmd_create_book(args: argparse.Namespace) -> int:
    from sqlmodel import col, select

    from anima_pwa.models import Account, StaffMember
    from anima_pwa.services.appointments import rota

    with db.session_scope() as session:
        practice = _practice(session, args.practice)
        staff_id = None
        if args.clinician_email:
            member = session.exec(
                select(StaffMember)
                .join(Account, col(Account.id) == StaffMember.account_id)
                .where(Account.email_normalized == args.clinician_email.strip().lower())
            ).first()
            if member is None or member.practice_id != practice.id:
                raise CommandError(f"No member of staff at {practice.ods_code} has the email {args.clinician_email}.")
            staff_id = member.id
        made = rota.create_book(
            session, rota.system_context(practice.id, practice.name), name=args.name, site_name=args.site_name,
            site_address=args.site_address, staff_id=staff_id, team=args.team or "",
        )  # fmt: skip
        _fail_on(made)
        _out(f"Created appointment book {made.id}: {args.name} at {practice.ods_code} {practice.name}.")
    return 0


def cmd_add_rota(args: argparse.Namespace) -> int:
    from anima_pwa.services.appointments import rota

    with db.session_scope() as session:
        book = _book(session, args.book)
        made = rota.add_session(
            session, rota.system_context(book.practice_id), book.id, weekday=args.day, start=args.start,
            end=args.end, slot_minutes=args.slot_minutes, kind=args.kind,
        )  # fmt: skip
        _fail_on(made)
        _out(
            f"Book {book.id} ({book.name}): {args.day} {args.start}-{args.end}, {args.slot_minutes}-minute {args.kind}."
        )
    _out("Run generate-slots to make the slots (the app also does it every 15 minutes).")
    return 0


def cmd_add_days_off(args: argparse.Namespace) -> int:
    from anima_pwa.services.appointments import rota

    with db.session_scope() as session:
        book = _book(session, args.book)
        made = rota.add_exception(
            session, rota.system_context(book.practice_id), book.id, first_day=args.first, last_day=args.last,
            reason=args.reason,
        )  # fmt: skip
        _fail_on(made)
    _out(f"Book {args.book}: no slots from {args.first} to {args.last or args.first}; free slots then are blocked.")
    return 0


def cmd_generate_slots(args: argparse.Namespace) -> int:
    from anima_pwa.services.appointments import rota

    with db.session_scope() as session:
        created = rota.generate_all(session, weeks=args.weeks)
    _out(f"Made {created} new slots for the next {args.weeks} weeks.")
    return 0


def cmd_list_books(args: argparse.Namespace) -> int:
    from sqlalchemy import func
    from sqlmodel import col, select

    from anima_pwa.models import AppointmentBook, RotaSession, Slot
    from anima_pwa.services.appointments.rota import WEEKDAYS
    from anima_pwa.services.platform import clock

    with db.session_scope() as session:
        query = select(AppointmentBook).order_by(col(AppointmentBook.practice_id), col(AppointmentBook.id))
        if args.practice:
            query = query.where(AppointmentBook.practice_id == _practice(session, args.practice).id)
        rows = []
        for book in session.exec(query).all():
            lines = session.exec(select(RotaSession).where(RotaSession.book_id == book.id)).all()
            free = session.exec(
                select(func.count())
                .select_from(Slot)
                .where(Slot.book_id == book.id, Slot.status == "free", Slot.start_utc > clock.utcnow())
            ).one()
            pattern = "; ".join(
                f"{WEEKDAYS[x.weekday][:3]} {x.start_time}-{x.end_time} {x.slot_minutes}m {x.kind}" for x in lines
            )
            rows.append([str(book.id), book.name, book.team or "-", book.site_name or "-", str(free), pattern or "-"])
    for line in _table(["id", "name", "team", "site", "free slots", "weekly pattern"], rows):
        _out(line)
    return 0


# ---------------------------------------------------------------------------------------------
# Entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m anima_pwa.admin",
        description="Anima administration: database, practices, registers, staff and outbox.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("migrate", help="create or upgrade the database tables")
    p.add_argument(
        "--create-database", action="store_true", help="on PostgreSQL, create the database first if it is missing"
    )
    p.set_defaults(func=cmd_migrate)

    p = commands.add_parser("seed-demo", help="add the demo practices, registers and staff")
    p.add_argument("--force", action="store_true", help="seed even if the database has practices")
    p.set_defaults(func=cmd_seed_demo)

    p = commands.add_parser("import-practices", help="import practices from an NHS ODS epraccur CSV")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_import_practices)

    p = commands.add_parser("import-register", help="import a practice's register CSV")
    p.add_argument("ods_code", metavar="ODS_CODE")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_import_register)

    p = commands.add_parser("create-staff", help="create a staff account at a practice")
    p.add_argument("--practice", required=True, metavar="ODS", help="the practice's ODS code")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True, help="the name colleagues and patients see")
    p.add_argument("--role", required=True, help="receptionist, clinician or admin")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of prompting",
    )
    p.set_defaults(func=cmd_create_staff)

    p = commands.add_parser(
        "staff-mfa-link", help="email a member of staff a new MFA set-up link (older links stop working)"
    )
    p.add_argument("--email", required=True, help="the staff member's email address")
    p.add_argument(
        "--reset",
        action="store_true",
        help="they have lost their authenticator: switch their MFA off and sign them out until they use the link",
    )
    p.set_defaults(func=cmd_staff_mfa_link)

    p = commands.add_parser("pending-verifications", help="list registrations awaiting verification")
    p.add_argument("--practice", metavar="ODS", help="only this practice")
    p.set_defaults(func=cmd_pending_verifications)

    p = commands.add_parser("send-outbox", help="send due emails once through ANIMA_SMTP_URL")
    p.set_defaults(func=cmd_send_outbox)

    p = commands.add_parser(
        "purge", help="delete expired sessions, links, codes and old emails (the app does this hourly)"
    )
    p.set_defaults(func=cmd_purge)

    p = commands.add_parser("create-book", help="create an appointment book (a clinician's or a team's)")
    p.add_argument("--practice", required=True, metavar="ODS")
    p.add_argument("--name", required=True, help="what patients read, for example 'Dr Amir Khan'")
    owner = p.add_mutually_exclusive_group(required=True)
    owner.add_argument("--clinician-email", help="the clinician's staff email (a clinician's book)")
    owner.add_argument("--team", help="a team's book, for example 'nurses'")
    p.add_argument("--site-name", default="")
    p.add_argument("--site-address", default="")
    p.set_defaults(func=cmd_create_book)

    p = commands.add_parser("add-rota", help="add a weekly session to a book's rota (UK time)")
    p.add_argument("--book", required=True, type=int)
    p.add_argument("--day", required=True, help="Monday ... Sunday")
    p.add_argument("--start", required=True, help="HH:MM")
    p.add_argument("--end", required=True, help="HH:MM")
    p.add_argument("--slot-minutes", required=True, type=int)
    p.add_argument("--kind", required=True, help="face_to_face, telephone, video, blood_test, ecg or blood_pressure")
    p.set_defaults(func=cmd_add_rota)

    p = commands.add_parser("add-days-off", help="leave or training: no slots for a book on these days")
    p.add_argument("--book", required=True, type=int)
    p.add_argument("--first", required=True, help="YYYY-MM-DD")
    p.add_argument("--last", default="", help="YYYY-MM-DD (default: the first day)")
    p.add_argument("--reason", default="")
    p.set_defaults(func=cmd_add_days_off)

    p = commands.add_parser("generate-slots", help="make the coming weeks' slots from every book's rota")
    p.add_argument("--weeks", type=int, default=6)
    p.set_defaults(func=cmd_generate_slots)

    p = commands.add_parser("list-books", help="list appointment books, their rota and free slots")
    p.add_argument("--practice", metavar="ODS")
    p.set_defaults(func=cmd_list_books)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        _err(f"Error: {exc}")
        return exc.status
    except ValueError as exc:  # includes validation.FieldError and register file errors
        _err(f"Error: {exc}")
        return 1
    except OSError as exc:
        _err(f"Error: {exc}")
        return 1
    except (OperationalError, ProgrammingError) as exc:
        _err(f"Database error: {exc.orig if getattr(exc, 'orig', None) else exc}")
        if args.command != "migrate":
            _err("If the database is new, run `python -m anima_pwa.admin migrate` first.")
        return 1
    except KeyboardInterrupt:
        _err("Interrupted; nothing was saved.")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
