"""Publishing the warehouse: analysts read a copy replaced whole, only after checks passed."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

from warehouse.duck import write_lock


def publish_warehouse(build_path: Path, published_path: Path) -> Path:
    """Checkpoint the build database and swap a copy of it into the published path.

    Runs under the build database's write lock so no writer changes it mid-copy. Readers
    holding the old file keep reading it (the rename replaces the directory entry, not the
    bytes they have open); new readers get the new file, complete.
    """
    with write_lock(build_path):
        con = duckdb.connect(str(build_path))
        try:
            con.execute("checkpoint")
        finally:
            con.close()
        published_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = published_path.with_name(f".{published_path.name}.{uuid.uuid4().hex}.tmp")
        try:
            shutil.copyfile(build_path, temporary)
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(temporary, published_path)
        finally:
            temporary.unlink(missing_ok=True)
    return published_path
