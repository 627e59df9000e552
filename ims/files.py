"""Files ims writes for a user (a report, a findings file): whole, or not at all.

A report written to a full disk had left a truncated PDF under its name, looking like a
report, after a traceback; a findings file, an empty one (found by a walk-through as a
system administrator). The file is written beside its name first and renamed into place,
and a failure is one line saying which file and why.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ims.errors import InvalidRequest


def write_whole(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` whole: a file that was there before is
    replaced only once the new one is complete. InvalidRequest, naming the file and the
    system's reason (no space left, no such directory), where it cannot be written."""
    path = Path(path)
    content = data.encode("utf-8") if isinstance(data, str) else data
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as file:
            file.write(content)
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        raise InvalidRequest(f"cannot write {path}: {reason}; nothing was written there") from None
