"""stored item statistics: the population sums per scope (a bank, or all banks) and modes

Revision ID: e5b19a7c2d43
Revises: c4d8e2a61f37
Create Date: 2026-12-01 12:00:00

The item statistics pages serve these sums while they count every submitted attempt, or
while they are younger than STATISTICS_MAX_AGE_SECONDS (studyapp/stored_statistics.py).
statistics_epoch counts the invalidations (one row, made by the first write).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b19a7c2d43'
down_revision = 'c4d8e2a61f37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_statistics',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('bank_id', sa.Integer(), nullable=True),
        sa.Column('modes', sa.String(length=64), nullable=False),
        sa.Column('sums', sa.JSON(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempt_id', sa.Integer(), nullable=True),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('seconds', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_stored_statistics_bank_id_banks'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_statistics')),
        sa.UniqueConstraint('scope', 'modes', name=op.f('uq_stored_statistics_scope_modes')),
    )
    with op.batch_alter_table('stored_statistics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_statistics_bank_id'), ['bank_id'], unique=False)
    op.create_table(
        'statistics_epoch',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('epoch', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statistics_epoch')),
    )


def downgrade():
    op.drop_table('statistics_epoch')
    with op.batch_alter_table('stored_statistics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_statistics_bank_id'))
    op.drop_table('stored_statistics')
