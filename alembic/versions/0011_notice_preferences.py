"""how each account is told that the practice has written: by email, by text message or both; and
when an outbox message was last tried (staff see it when a notice can't be delivered)

Revision ID: 0011_notice_preferences
Revises: 0010_inbox
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0011_notice_preferences"
down_revision: Union[str, None] = "0010_inbox"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_by_email", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("notify_by_sms", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("last_attempt_at")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("notify_by_sms")
        batch_op.drop_column("notify_by_email")
