"""emergency signposts record every advice given, where it was given and who filled it in, and
whether a member of staff has followed the person up (the practice's "Signposted today" list)

Revision ID: 0009_redflags
Revises: 0008_claims
Create Date: 2026-11-30 12:00:00.000000
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0009_redflags"
down_revision: Union[str, None] = "0008_claims"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("emergency_signpost", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("advices", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("filled_in_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("followed_up_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("followed_up_by_staff_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_emergency_signpost_followed_up_by_staff_id_staff_member",
            "staff_member",
            ["followed_up_by_staff_id"],
            ["id"],
        )
        batch_op.create_index("ix_emergency_signpost_practice_at", ["practice_id", "at"], unique=False)
    # Rows from before: their one advice is every advice they gave.
    op.execute("UPDATE emergency_signpost SET advices = '[\"' || advice || '\"]'")
    op.execute("UPDATE emergency_signpost SET source = 'search' WHERE topic = 'search'")


def downgrade() -> None:
    with op.batch_alter_table("emergency_signpost", schema=None) as batch_op:
        batch_op.drop_index("ix_emergency_signpost_practice_at")
        batch_op.drop_constraint("fk_emergency_signpost_followed_up_by_staff_id_staff_member", type_="foreignkey")
        batch_op.drop_column("followed_up_by_staff_id")
        batch_op.drop_column("followed_up_at")
        batch_op.drop_column("filled_in_by")
        batch_op.drop_column("source")
        batch_op.drop_column("advices")
