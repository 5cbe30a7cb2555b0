"""requests record who the questions were about (the wording shown), who filled them in, and
the FHIR QuestionnaireResponse

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00.000000
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subject_wording", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("filled_in_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("questionnaire_response", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_column("questionnaire_response")
        batch_op.drop_column("filled_in_by")
        batch_op.drop_column("subject_wording")
