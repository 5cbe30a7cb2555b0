"""the practice's queue: partial indexes over open requests, one in the queue's order, one covering
the per-filter counts (bench/README.md: with 20,000 open requests the old index made every page
read and sort them all)

Revision ID: 0014_queue_indexes
Revises: 0013_push
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0014_queue_indexes"
down_revision: Union[str, None] = "0013_push"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Written out (not imported from the models) so this migration stays what it was.
OPEN_SQL = "status IN ('submitted', 'assigned', 'awaiting_patient')"


def upgrade() -> None:
    op.drop_index("ix_request_queue", table_name="request")
    op.create_index(
        "ix_request_queue",
        "request",
        ["practice_id", "urgency_rank", "submitted_at", "id", "status"],
        unique=False,
        sqlite_where=sa.text(OPEN_SQL),
        postgresql_where=sa.text(OPEN_SQL),
    )
    op.create_index(
        "ix_request_queue_counts",
        "request",
        ["practice_id", "kind", "assigned_staff_id", "assigned_team", "team", "status"],
        unique=False,
        sqlite_where=sa.text(OPEN_SQL),
        postgresql_where=sa.text(OPEN_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_request_queue_counts", table_name="request")
    op.drop_index("ix_request_queue", table_name="request")
    op.create_index(
        "ix_request_queue", "request", ["practice_id", "status", "urgency_rank", "submitted_at"], unique=False
    )
