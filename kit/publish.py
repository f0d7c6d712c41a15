"""Stage 6: publish a report's files into ``output/`` atomically.

Each file is written to a temporary file in the destination folder, flushed to
disk, then renamed over the old one: a reader sees the old file or the new one,
never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


PUBLISHED_MODE = 0o644


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, PUBLISHED_MODE)  # mkstemp makes 0600; a published page is world-readable
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish(dest: Path, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (name → bytes) into ``dest``; the HTML page goes last."""
    names = sorted(files, key=lambda n: n.endswith(".html"))
    written = []
    for name in names:
        write_atomic(dest / name, files[name])
        written.append(dest / name)
    return written
