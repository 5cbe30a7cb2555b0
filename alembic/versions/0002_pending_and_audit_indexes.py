"""indexes for the pending list and audit by practice

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 03:01:44.595663
"""

from typing import Sequence, Union

from alembic import op


revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_practice_id"), ["practice_id"], unique=False)

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index("ix_patient_status_created", ["verification_status", "created_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_status_created")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_practice_id"))
