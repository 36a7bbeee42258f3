"""Where a cmi5 package's files live: on disk, one folder per package (its course id), each file
named by its row id, never by the package's own path (so no path of a package reaches the disk)."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import current_app

from courses.cmi5.models import PackageFile
from courses.cmi5.package import Package, PackageError


def storage_root() -> Path:
    return Path(current_app.config["ACADEMY_CMI5_STORAGE_DIR"])


def package_dir(course_id: int) -> Path:
    return storage_root() / str(course_id)


def file_path(stored: PackageFile) -> Path:
    """Where a package file's content is on disk."""
    return package_dir(stored.course_id) / str(stored.id)


def write_package_files(course_id: int, package: Package, rows: dict[str, PackageFile]) -> None:
    """Unpack the package's files into the course's folder, streaming and counting; set each row's size.

    On PackageError (a file past a limit, or not the size it declared) the folder is removed.
    """
    folder = package_dir(course_id)
    # A folder left by an import that was rolled back (SQLite may hand out its id again).
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    written = 0
    try:
        for path, row in rows.items():
            with (folder / str(row.id)).open("wb") as target:
                row.size = package.copy_file(path, target, written)
            written += row.size
    except (PackageError, OSError):
        shutil.rmtree(folder, ignore_errors=True)
        raise


def remove_package_files(course_id: int) -> None:
    shutil.rmtree(package_dir(course_id), ignore_errors=True)
