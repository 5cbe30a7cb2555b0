"""requests, practice capacity settings, emergency signposts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 03:46:14.547407
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:

    op.create_table(
        "capacity_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practice_id", "day", name="uq_capacity_counter"),
    )
    op.create_table(
        "closed_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practice_id", "day", name="uq_closed_day"),
    )
    with op.batch_alter_table("closed_day", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closed_day_practice_id"), ["practice_id"], unique=False)

    op.create_table(
        "practice_settings",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("hours", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("turned_off", sa.Boolean(), nullable=False),
        sa.Column("turned_off_message", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("routine_only_after", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("daily_limit", sa.Integer(), nullable=True),
        sa.Column("active_limit", sa.Integer(), nullable=True),
        sa.Column("per_patient_medical", sa.Integer(), nullable=False),
        sa.Column("per_patient_admin", sa.Integer(), nullable=False),
        sa.Column("free_text_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("practice_id"),
    )
    op.create_table(
        "emergency_signpost",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("practice_id", sa.Integer(), nullable=True),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("flags", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("advice", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("emergency_signpost", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_signpost_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_signpost_practice_id"), ["practice_id"], unique=False)

    op.create_table(
        "request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("answers", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("current_item", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("free_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("appointment_preference", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("contact_preference", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("urgency", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("triage_summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("limits_overridden", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
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
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference", name="uq_request_reference"),
    )
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.create_index("ix_request_account_status", ["account_id", "status"], unique=False)
        batch_op.create_index("ix_request_patient_kind_status", ["patient_id", "kind", "status"], unique=False)
        batch_op.create_index("ix_request_practice_status", ["practice_id", "status", "submitted_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_practice_status")
        batch_op.drop_index("ix_request_patient_kind_status")
        batch_op.drop_index("ix_request_account_status")

    op.drop_table("request")
    with op.batch_alter_table("emergency_signpost", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_signpost_practice_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_signpost_at"))

    op.drop_table("emergency_signpost")
    op.drop_table("practice_settings")
    with op.batch_alter_table("closed_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closed_day_practice_id"))

    op.drop_table("closed_day")
    op.drop_table("capacity_counter")
