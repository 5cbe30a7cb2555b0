"""the patient's reply the practice has not answered yet (Request.patient_replied_at), shown as
"Patient replied" in the queue, with a partial index for its count and filter

Revision ID: 0016_patient_replied
Revises: 0015_idempotency_keys
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0016_patient_replied"
down_revision: Union[str, None] = "0015_idempotency_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Written out (not imported from the models) so this migration stays what it was.
REPLIED_SQL = "status IN ('submitted', 'assigned', 'awaiting_patient') AND patient_replied_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("request") as batch:
        batch.add_column(sa.Column("patient_replied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index(
        "ix_request_replied",
        "request",
        ["practice_id", "urgency_rank", "submitted_at", "id"],
        unique=False,
        sqlite_where=sa.text(REPLIED_SQL),
        postgresql_where=sa.text(REPLIED_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_request_replied", table_name="request")
    with op.batch_alter_table("request") as batch:
        batch.drop_column("patient_replied_at")
