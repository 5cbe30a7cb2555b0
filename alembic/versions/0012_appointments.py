"""appointments (issue 12): books, their weekly rota and days off, slots, invites to book and the
bookings; the practice's cancellation cut-off. One live appointment per slot (a partial unique index).

Revision ID: 0012_appointments
Revises: 0011_notice_preferences
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0012_appointments"
down_revision: Union[str, None] = "0011_notice_preferences"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "appointment_book",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("site_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("site_address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment_book", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_book_practice", ["practice_id", "active"], unique=False)

    op.create_table(
        "appointment_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("start_utc", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("end_utc", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["appointment_book.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("book_id", "start_utc", name="uq_slot_book_start"),
    )
    with op.batch_alter_table("appointment_slot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_slot_practice_kind_start", ["practice_id", "kind", "status", "start_utc"], unique=False
        )

    op.create_table(
        "book_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["appointment_book.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("book_exception", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_book_exception_book_id"), ["book_id"], unique=False)

    op.create_table(
        "rota_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("end_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["appointment_book.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rota_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rota_session_book_id"), ["book_id"], unique=False)

    op.create_table(
        "appointment_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=True),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["appointment_book.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_staff_id"],
            ["staff_member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment_invite", schema=None) as batch_op:
        batch_op.create_index("ix_invite_patient_status", ["patient_id", "status"], unique=False)
        batch_op.create_index("ix_invite_request", ["request_id"], unique=False)

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("booked_by_account_id", sa.Integer(), nullable=True),
        sa.Column("booked_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("booked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("cancelled_by_account_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("reminder_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["booked_by_account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["booked_by_staff_id"],
            ["staff_member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_staff_id"],
            ["staff_member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["appointment_invite.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["appointment_slot.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_invite", ["invite_id"], unique=False)
        batch_op.create_index("ix_appointment_patient", ["patient_id", "cancelled_at"], unique=False)
        batch_op.create_index("ix_appointment_reminder", ["reminder_sent_at", "cancelled_at"], unique=False)
        batch_op.create_index(
            "uq_appointment_live_slot",
            ["slot_id"],
            unique=True,
            sqlite_where=sa.text("cancelled_at IS NULL"),
            postgresql_where=sa.text("cancelled_at IS NULL"),
        )

    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_cutoff_minutes", sa.Integer(), server_default="120", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.drop_column("cancel_cutoff_minutes")

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_appointment_live_slot",
            sqlite_where=sa.text("cancelled_at IS NULL"),
            postgresql_where=sa.text("cancelled_at IS NULL"),
        )
        batch_op.drop_index("ix_appointment_reminder")
        batch_op.drop_index("ix_appointment_patient")
        batch_op.drop_index("ix_appointment_invite")

    op.drop_table("appointment")
    with op.batch_alter_table("appointment_invite", schema=None) as batch_op:
        batch_op.drop_index("ix_invite_request")
        batch_op.drop_index("ix_invite_patient_status")

    op.drop_table("appointment_invite")
    with op.batch_alter_table("rota_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_session_book_id"))

    op.drop_table("rota_session")
    with op.batch_alter_table("book_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_book_exception_book_id"))

    op.drop_table("book_exception")
    with op.batch_alter_table("appointment_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_slot_practice_kind_start")

    op.drop_table("appointment_slot")
    with op.batch_alter_table("appointment_book", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_book_practice")

    op.drop_table("appointment_book")
