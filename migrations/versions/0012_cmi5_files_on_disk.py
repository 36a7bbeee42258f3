"""cmi5 package files on disk, not in the database; a course may allow Browse mode

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00

The content of every cmi5_files row moves to <ACADEMY_CMI5_STORAGE_DIR>/<course_id>/<id>
(courses/cmi5/storage.py), one row at a time, and the column is dropped. The downgrade
reads the files back into the column; it stops, naming the file, if one is missing.
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_files = sa.table(
    "cmi5_files",
    sa.column("id", sa.Integer()),
    sa.column("course_id", sa.Integer()),
    sa.column("data", sa.LargeBinary()),
)


def _storage_root() -> Path:
    return Path(current_app.config["ACADEMY_CMI5_STORAGE_DIR"])


def upgrade():
    with op.batch_alter_table("cmi5_courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allow_browse", sa.Boolean(), server_default=sa.false(), nullable=False))

    connection = op.get_bind()
    ids = connection.execute(sa.select(_files.c.id, _files.c.course_id).order_by(_files.c.id)).all()
    for file_id, course_id in ids:
        data = connection.execute(sa.select(_files.c.data).where(_files.c.id == file_id)).scalar_one()
        folder = _storage_root() / str(course_id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / str(file_id)).write_bytes(data)
    with op.batch_alter_table("cmi5_files", schema=None) as batch_op:
        batch_op.drop_column("data")


def downgrade():
    with op.batch_alter_table("cmi5_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    ids = connection.execute(sa.select(_files.c.id, _files.c.course_id).order_by(_files.c.id)).all()
    for file_id, course_id in ids:
        path = _storage_root() / str(course_id) / str(file_id)
        if not path.is_file():
            raise RuntimeError(
                f"cmi5 file {file_id} of course {course_id} is not at {path}: "
                "restore the storage folder (ACADEMY_CMI5_STORAGE_DIR) before downgrading"
            )
        connection.execute(sa.update(_files).where(_files.c.id == file_id).values(data=path.read_bytes()))
    with op.batch_alter_table("cmi5_files", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table("cmi5_courses", schema=None) as batch_op:
        batch_op.drop_column("allow_browse")
