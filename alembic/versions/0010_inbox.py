"""the practice acts and the patient answers: the queue's order and assignment on requests, the
outcome at sign-off, message threads with photos, health-record exports, SMS in the outbox and
the notices' request, and the practice's auto-close setting

Revision ID: 0010_inbox
Revises: 0009_redflags
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0010_inbox"
down_revision: Union[str, None] = "0009_redflags"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

URGENCY_RANKS = {"emergency_signposted": 0, "urgent_today": 1, "within_two_days": 2, "routine": 3}


def upgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgency_rank", sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(
            sa.Column("assigned_team", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("assigned_staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("first_response_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("awaiting_reply_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("outcome_detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("signed_off_by_staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "patient_decision", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=""
            )
        )
        batch_op.add_column(sa.Column("patient_decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_request_assigned_staff_id_staff_member", "staff_member", ["assigned_staff_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_request_signed_off_by_staff_id_staff_member", "staff_member", ["signed_off_by_staff_id"], ["id"]
        )
        batch_op.create_index(
            "ix_request_queue", ["practice_id", "status", "urgency_rank", "submitted_at"], unique=False
        )
        batch_op.create_index("ix_request_assignee", ["practice_id", "assigned_staff_id", "status"], unique=False)
    for urgency, rank in URGENCY_RANKS.items():  # requests sent before this: their rank from their urgency
        op.execute(
            sa.text("UPDATE request SET urgency_rank = :rank WHERE urgency = :urgency").bindparams(
                rank=rank, urgency=urgency
            )
        )

    op.create_table(
        "request_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author_kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("author_staff_id", sa.Integer(), nullable=True),
        sa.Column("author_account_id", sa.Integer(), nullable=True),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("needs_reply", sa.Boolean(), nullable=False),
        sa.Column("wants_photo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["author_staff_id"], ["staff_member.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_message_thread", "request_message", ["request_id", "created_at"], unique=False)

    op.create_table(
        "message_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["request_message.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stored_name"),
    )
    op.create_index("ix_message_attachment_message_id", "message_attachment", ["message_id"], unique=False)
    op.create_index("ix_message_attachment_request_id", "message_attachment", ["request_id"], unique=False)

    op.create_table(
        "record_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("written_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_record_export_due", "record_export", ["status", "next_attempt_at"], unique=False)

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_outbox_message_request_id_request", "request", ["request_id"], ["id"])
        batch_op.create_index("ix_outbox_message_request_id", ["request_id"], unique=False)

    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_close_days", sa.Integer(), nullable=False, server_default="14"))


def downgrade() -> None:
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.drop_column("auto_close_days")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_request_id")
        batch_op.drop_constraint("fk_outbox_message_request_id_request", type_="foreignkey")
        batch_op.drop_column("request_id")
    op.drop_index("ix_record_export_due", table_name="record_export")
    op.drop_table("record_export")
    op.drop_index("ix_message_attachment_request_id", table_name="message_attachment")
    op.drop_index("ix_message_attachment_message_id", table_name="message_attachment")
    op.drop_table("message_attachment")
    op.drop_index("ix_request_message_thread", table_name="request_message")
    op.drop_table("request_message")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_assignee")
        batch_op.drop_index("ix_request_queue")
        batch_op.drop_constraint("fk_request_signed_off_by_staff_id_staff_member", type_="foreignkey")
        batch_op.drop_constraint("fk_request_assigned_staff_id_staff_member", type_="foreignkey")
        for column in (
            "patient_decided_at",
            "patient_decision",
            "signed_off_by_staff_id",
            "outcome_detail",
            "outcome",
            "awaiting_reply_since",
            "first_response_at",
            "assigned_staff_id",
            "assigned_team",
            "urgency_rank",
        ):
            batch_op.drop_column(column)
