"""an organisation's field mappings remembered for each layout of its files

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 10:00:00

One mapping was remembered per organisation and kind of file: an operator whose data
manager sends both an export of its own database and its field forms' export had each
upload's mapping put in the place of the other's, so every other file needed its mapping
again. Mappings are kept now for each set of the file's columns they read (ims/ingest/
field_maps.py), under an id of their own. Nothing is lost going up; going down keeps the
latest of each organisation and kind.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0036'
down_revision: str | None = '0035'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f('pk_field_mapping'), 'field_mapping', type_='primary')
    op.add_column(
        'field_mapping',
        sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    )
    op.create_primary_key(op.f('pk_field_mapping'), 'field_mapping', ['id'])
    op.create_index(
        'ix_field_mapping_organisation_id_kind', 'field_mapping', ['organisation_id', 'kind']
    )
    op.execute("SELECT ims_grant_app_role()")


def downgrade() -> None:
    op.execute(
        "DELETE FROM field_mapping f WHERE EXISTS (SELECT 1 FROM field_mapping g"
        " WHERE g.organisation_id = f.organisation_id AND g.kind = f.kind"
        " AND (g.updated_at, g.id) > (f.updated_at, f.id))"
    )
    op.drop_index('ix_field_mapping_organisation_id_kind', table_name='field_mapping')
    op.drop_constraint(op.f('pk_field_mapping'), 'field_mapping', type_='primary')
    op.drop_column('field_mapping', 'id')
    op.create_primary_key(op.f('pk_field_mapping'), 'field_mapping', ['organisation_id', 'kind'])
