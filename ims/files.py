"""Files ims writes for a user (a report, a findings file): whole, or not at all.

A report written to a full disk had left a truncated PDF under its name, looking like a
report, after a traceback; a findings file, an empty one (found by a walk-through as a
system administrator). The file is written beside its name first and renamed into place,
and a failure is one line saying which file and why.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
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


# Working folders ims makes in the temporary directory, named ims-<what>-<pid>-<random>: a
# server killed mid-upload (kill -9, a power cut) left its 23 MB upload there for good.
_KINDS = ("post", "held", "inspect", "upload", "record", "drawn", "template", "findings")
_FOLDER = re.compile(rf"ims-(?:{'|'.join(_KINDS)})-(?:(\d+)-)?[a-z0-9_]{{8}}")
STALE_S = 3600  # a folder of no running process, or unnamed, older than this is left over


def temp_folder(what: str) -> Path:
    """A new working folder in the temporary directory, readable by its owner only, named
    after this process so that ``sweep_temp_folders`` can tell it is in use."""
    assert what in _KINDS, what
    return Path(tempfile.mkdtemp(prefix=f"ims-{what}-{os.getpid()}-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def sweep_temp_folders(*, now: float | None = None) -> int:
    """Remove the working folders a killed ims left in the temporary directory: those named
    after a process that no longer runs, and those named after none (made by an earlier
    ims, or by ``tempfile`` directly) unchanged for an hour. Nothing else is touched: only
    names ims gives. How many were removed."""
    now = time.time() if now is None else now
    removed = 0
    for folder in Path(tempfile.gettempdir()).iterdir():
        found = _FOLDER.fullmatch(folder.name)
        if found is None:
            continue
        try:
            if folder.is_symlink() or not folder.is_dir():
                continue
            if found.group(1) is not None:
                if _alive(int(found.group(1))):
                    continue
            elif now - folder.stat().st_mtime < STALE_S:
                continue
            shutil.rmtree(folder)
            removed += 1
        except OSError:
            continue
    return removed
