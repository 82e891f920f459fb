"""gradebook indexes: users by role in name order, learner and bank pairs of submitted attempts

Revision ID: c4d8e2a61f37
Revises: a7c3e2d91b40
Create Date: 2026-12-01 10:00:00

Measured with ``flask fill-scale`` (10,000 learners, 50,500 submitted attempts) on PostgreSQL:

- ``ix_users_role_name`` (role, lower(display_name), display_name, id): the gradebook sorted
  by name (its default) walks the learners in name order and stops after a page of them,
  instead of reading and sorting every learner's attempts (the page's rows: 23 ms -> 0.5 ms).
  The role comes first so that SQLite, which picks the index of an equality, walks it too;
- ``ix_attempts_submitted_user_bank`` (user_id, bank_id, status; partial: submitted attempts
  only): the gradebook's count of learner and bank pairs reads the pairs in order from it alone
  (18 ms -> 9 ms; the status column lets SQLite, too, answer from the index: 12.6 ms -> 5 ms).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d8e2a61f37'
down_revision = 'a7c3e2d91b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_role_name', ['role', sa.text('lower(display_name)'), 'display_name', 'id'],
                              unique=False)
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_submitted_user_bank', ['user_id', 'bank_id', 'status'], unique=False,
                              sqlite_where=sa.text("status = 'submitted'"),
                              postgresql_where=sa.text("status = 'submitted'"))


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_submitted_user_bank', sqlite_where=sa.text("status = 'submitted'"),
                            postgresql_where=sa.text("status = 'submitted'"))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_role_name')
