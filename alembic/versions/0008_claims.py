"""claims: only a verified patient record owns its NHS number; why a link needs approval

Pending and rejected patient records are claims and may share an NHS number, so a made-up claim
can't block the real person or parent. The unique constraint on patient.nhs_number becomes a
partial unique index over verified records, with a plain index for looking claims up.
account_patient.approval_reason says why the practice must approve a link.

Revision ID: 0008_claims
Revises: 0007_ux
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0008_claims"
down_revision: Union[str, None] = "0007_ux"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

VERIFIED = sa.text("verification_status = 'verified'")
# SQLite keeps the old constraint without a name: this convention names it so batch mode can drop it.
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
POSTGRES_NAME = "patient_nhs_number_key"  # PostgreSQL's name for 0001's UniqueConstraint("nhs_number")


def _unique_on_nhs_number() -> str | None:
    """The name of the unique constraint on patient.nhs_number, as the database reports it."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("patient"):
        if constraint["column_names"] == ["nhs_number"]:
            return constraint["name"] or "uq_patient_nhs_number"
    return None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    name = _unique_on_nhs_number()
    with op.batch_alter_table("patient", schema=None, naming_convention=SQLITE_NAMES if sqlite else None) as batch_op:
        if name is not None:
            batch_op.drop_constraint(name, type_="unique")
        batch_op.create_index("ix_patient_nhs_number", ["nhs_number"], unique=False)
        batch_op.create_index(
            "uq_patient_verified_nhs_number",
            ["nhs_number"],
            unique=True,
            sqlite_where=VERIFIED,
            postgresql_where=VERIFIED,
        )

    with op.batch_alter_table("account_patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approval_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="")
        )
    # Until now only a dependant aged 16 or over needed approval.
    op.execute("UPDATE account_patient SET approval_reason = 'age_16_plus' WHERE approval_status <> 'not_needed'")


def downgrade() -> None:
    # Fails (and changes nothing) if two records now share an NHS number: decide those claims first.
    with op.batch_alter_table("account_patient", schema=None) as batch_op:
        batch_op.drop_column("approval_reason")

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("uq_patient_verified_nhs_number", sqlite_where=VERIFIED, postgresql_where=VERIFIED)
        batch_op.drop_index("ix_patient_nhs_number")
        batch_op.create_unique_constraint(POSTGRES_NAME, ["nhs_number"])
