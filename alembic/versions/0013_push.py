"""web push: the browsers (installed apps) that receive an account's notices

Revision ID: 0013_push
Revises: 0011_notice_preferences
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0013_push"
down_revision: Union[str, None] = "0012_appointments"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "push_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("endpoint", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("p256dh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("auth", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint"),
    )
    op.create_index(op.f("ix_push_subscription_account_id"), "push_subscription", ["account_id"], unique=False)
    op.create_index(op.f("ix_push_subscription_session_id"), "push_subscription", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_push_subscription_session_id"), table_name="push_subscription")
    op.drop_index(op.f("ix_push_subscription_account_id"), table_name="push_subscription")
    op.drop_table("push_subscription")
