"""field mappings kept as documents: fields, constants, values

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A mapping stored before documents was bare renames, {template field: file field}. A
# submission read without one holds JSON null (or SQL NULL): it stays without one.
AS_DOCUMENT = """
    UPDATE {table} SET {column} = jsonb_build_object(
        'fields', {column}, 'constants', '{{}}'::jsonb, 'values', '{{}}'::jsonb)
    WHERE jsonb_typeof({column}) = 'object'
      AND NOT {column} ?| ARRAY['fields', 'constants', 'values']
"""
# Back to bare renames: the constants and value maps are lost.
AS_RENAMES = """
    UPDATE {table} SET {column} = COALESCE({column} -> 'fields', '{{}}'::jsonb)
    WHERE jsonb_typeof({column}) = 'object' AND {column} ?| ARRAY['fields', 'constants', 'values']
"""
# The mapping remembered per organisation, and the one each submission was read with.
COLUMNS = (('field_mapping', 'mapping'), ('submission', 'field_map'))


def upgrade() -> None:
    """A mapping is one document, {fields, constants, values}, wherever it comes from (--map,
    ims import --mapping, the upload API) and as it is remembered: the renames stored so far
    become a document's fields."""
    for table, column in COLUMNS:
        op.execute(AS_DOCUMENT.format(table=table, column=column))


def downgrade() -> None:
    """Keep each mapping's renames only (constants and value maps are lost)."""
    for table, column in COLUMNS:
        op.execute(AS_RENAMES.format(table=table, column=column))
