"""per-option feedback

Revision ID: a7c3e2d91b40
Revises: df5c354f735f
Create Date: 2026-11-30 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e2d91b40'
down_revision = 'df5c354f735f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('options', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('options', schema=None) as batch_op:
        batch_op.drop_column('feedback')
