"""area ledger: per-hazard timeline of effective changes, split by admin area; hazard overlaps

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:51:46.497938
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the ledger (derived per-hazard events, split by admin area) and overlaps."""
    op.create_table('hazard_overlap',
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_hazard_overlap_hazard_id_hazard'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_id'], ['hazard.id'], name=op.f('fk_hazard_overlap_other_id_hazard'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hazard_id', 'other_id', name=op.f('pk_hazard_overlap'))
    )
    op.create_index(op.f('ix_hazard_overlap_other_id'), 'hazard_overlap', ['other_id'], unique=False)
    op.create_table('ledger_entry',
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('entry_no', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('release_id', sa.Integer(), nullable=True),
    sa.Column('status_after', sa.String(length=3), nullable=True),
    sa.Column('delta_m2', sa.Float(), nullable=False),
    sa.Column('remaining_after_m2', sa.Float(), nullable=False),
    sa.Column('outside_m2', sa.Float(), server_default='0', nullable=False),
    sa.Column('count_admin1_id', sa.Integer(), nullable=True),
    sa.Column('count_admin2_id', sa.Integer(), nullable=True),
    sa.Column('items_admin1_id', sa.Integer(), nullable=True),
    sa.Column('items_admin2_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('added', 'status', 'cancelled', 'reduced', 'cleared')", name=op.f('ck_ledger_entry_kind')),
    sa.ForeignKeyConstraint(['count_admin1_id'], ['admin_area.id'], name=op.f('fk_ledger_entry_count_admin1_id_admin_area')),
    sa.ForeignKeyConstraint(['count_admin2_id'], ['admin_area.id'], name=op.f('fk_ledger_entry_count_admin2_id_admin_area')),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazard.id'], name=op.f('fk_ledger_entry_hazard_id_hazard'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['items_admin1_id'], ['admin_area.id'], name=op.f('fk_ledger_entry_items_admin1_id_admin_area')),
    sa.ForeignKeyConstraint(['items_admin2_id'], ['admin_area.id'], name=op.f('fk_ledger_entry_items_admin2_id_admin_area')),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], name=op.f('fk_ledger_entry_release_id_release')),
    sa.ForeignKeyConstraint(['revision_id'], ['hazard_revision.id'], name=op.f('fk_ledger_entry_revision_id_hazard_revision')),
    sa.PrimaryKeyConstraint('hazard_id', 'entry_no', name=op.f('pk_ledger_entry'))
    )
    op.create_index(op.f('ix_ledger_entry_on'), 'ledger_entry', ['on'], unique=False)
    op.create_index(op.f('ix_ledger_entry_release_id'), 'ledger_entry', ['release_id'], unique=False)
    op.create_table('ledger_piece',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('entry_no', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.CheckConstraint('level IN (1, 2)', name=op.f('ck_ledger_piece_level')),
    sa.ForeignKeyConstraint(['admin_id'], ['admin_area.id'], name=op.f('fk_ledger_piece_admin_id_admin_area')),
    sa.ForeignKeyConstraint(['hazard_id', 'entry_no'], ['ledger_entry.hazard_id', 'ledger_entry.entry_no'], name=op.f('fk_ledger_piece_hazard_id_ledger_entry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_piece'))
    )
    op.create_index('ix_ledger_piece_entry', 'ledger_piece', ['hazard_id', 'entry_no'], unique=False)


def downgrade() -> None:
    """Drop the ledger and overlaps (derived data: rebuilt from revisions and releases)."""
    op.drop_index('ix_ledger_piece_entry', table_name='ledger_piece')
    op.drop_table('ledger_piece')
    op.drop_index(op.f('ix_ledger_entry_release_id'), table_name='ledger_entry')
    op.drop_index(op.f('ix_ledger_entry_on'), table_name='ledger_entry')
    op.drop_table('ledger_entry')
    op.drop_index(op.f('ix_hazard_overlap_other_id'), table_name='hazard_overlap')
    op.drop_table('hazard_overlap')
