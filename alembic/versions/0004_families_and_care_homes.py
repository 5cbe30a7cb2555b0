"""families and care homes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 03:23:34.966240
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:

    with op.batch_alter_table("account_patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "approval_status",
                sqlmodel.sql.sqltypes.AutoString(length=12),
                nullable=False,
                server_default="not_needed",
            )
        )
        batch_op.add_column(
            sa.Column("approval_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default="")
        )

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_care_home", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("care_home_resident", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("housebound", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("created_by_staff_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_patient_created_by_staff", "staff_member", ["created_by_staff_id"], ["id"])


def downgrade() -> None:

    with op.batch_alter_table("patient", schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("fk_patient_created_by_staff", type_="foreignkey")
        batch_op.drop_column("created_by_staff_id")
        batch_op.drop_column("housebound")
        batch_op.drop_column("care_home_resident")
        batch_op.drop_column("is_care_home")

    with op.batch_alter_table("account_patient", schema=None) as batch_op:
        batch_op.drop_column("approval_note")
        batch_op.drop_column("approval_status")
