"""practice "important updates", and the log of changes that close online requests in core hours

Revision ID: 0007_ux
Revises: 0006
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0007_ux"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        # Existing practices (and rows written without it) have no important updates ("").
        batch_op.add_column(
            sa.Column(
                "important_updates", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False, server_default=""
            )
        )

    op.create_table(
        "core_hours_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=False),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("why", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["actor_account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["practice_id"], ["practice.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("core_hours_change", schema=None) as batch_op:
        batch_op.create_index("ix_core_hours_change_practice_at", ["practice_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("core_hours_change", schema=None) as batch_op:
        batch_op.drop_index("ix_core_hours_change_practice_at")
    op.drop_table("core_hours_change")
    with op.batch_alter_table("practice_settings", schema=None) as batch_op:
        batch_op.drop_column("important_updates")
