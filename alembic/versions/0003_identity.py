"""identity: MFA, recovery codes, NHS login link, preferences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 03:11:55.987166
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_account_id"), ["account_id"], unique=False)

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nhs_login_sub", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column("nhs_login_linked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("mfa_secret_encrypted", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(sa.Column("mfa_enabled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("mfa_last_step", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_account_nhs_login_sub", ["nhs_login_sub"])

    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="password")
        )

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preferred_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "residence_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=""
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("residence_status")
        batch_op.drop_column("preferred_name")

    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_column("method")

    with op.batch_alter_table("account", schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("uq_account_nhs_login_sub", type_="unique")
        batch_op.drop_column("mfa_last_step")
        batch_op.drop_column("mfa_enabled_at")
        batch_op.drop_column("mfa_secret_encrypted")
        batch_op.drop_column("nhs_login_linked_at")
        batch_op.drop_column("nhs_login_sub")

    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_account_id"))

    op.drop_table("recovery_code")
