"""Files ims writes for a user (a report, a findings file): whole, or not at all.

A report written to a full disk had left a truncated PDF under its name, looking like a
report, after a traceback; a findings file, an empty one (found by a walk-through as a
system administrator). The file is written beside its name first and renamed into place,
and a failure is one line saying which file and why.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from ims.config import get_settings
from ims.errors import InvalidRequest, ServiceBusy
from ims.words import counted, noun


def not_a_file(path: Path) -> str | None:
    """What is wrong with ``path`` as a file to read, in words, or None if it is one. A
    folder given for a file had said "no such file", or ended in a traceback."""
    if path.is_file():
        return None
    if path.is_dir():
        shapefiles = sorted(p.name for p in path.glob("*.shp"))[:5]
        hint = (
            f": give a file in it ({', '.join(shapefiles)}: ims reads the .shx, .dbf and "
            ".prj beside a .shp), or a zip of the files"
            if shapefiles
            else ", not a file"
        )
        return f"{path}: is a folder{hint}"
    return f"{path}: no such file" if not path.exists() else f"{path}: not a file"


def not_a_folder(path: Path) -> str | None:
    """What is wrong with ``path`` as a folder to write into (made if missing), or None."""
    if path.exists() and not path.is_dir():
        return f"{path}: is a file, where a folder is wanted"
    return None


def os_error_words(exc: OSError) -> str:
    """An operating system's refusal (a file that exists, a folder where a file is wanted,
    no permission, a full disk) as one line that names the path, for a command's error."""
    name = exc.filename
    if name is None:
        return exc.strerror or str(exc)
    path = Path(os.fsdecode(name))
    if isinstance(exc, IsADirectoryError):
        return f"{path}: is a folder, where a file is wanted"
    if isinstance(exc, FileExistsError | NotADirectoryError) and path.is_file():
        return not_a_folder(path) or f"{path}: is a file"
    if isinstance(exc, FileExistsError):
        return f"{path}: already exists"
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file or folder"
    if isinstance(exc, PermissionError):
        return f"{path}: permission denied"
    return f"{path}: {exc.strerror or exc}"


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
# Only such names are swept, of folders this user owns, whose process no longer runs.
_KINDS = ("post", "held", "inspect")
_FOLDER = re.compile(rf"ims-(?:{'|'.join(_KINDS)})-([1-9][0-9]{{0,9}})-[a-z0-9_]{{8}}")
PID_MAX = 1 << 22  # the largest process id Linux gives (pid_max's ceiling)
MARK = ".ims-working-folder"  # in each: a folder of the same name made by anyone else is kept


def temp_folder(what: str) -> Path:
    """A new working folder in the temporary directory, readable by its owner only, named
    after this process so that ``sweep_temp_folders`` can tell it is in use."""
    assert what in _KINDS, what
    folder = Path(tempfile.mkdtemp(prefix=f"ims-{what}-{os.getpid()}-"))
    (folder / MARK).touch()
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def sweep_temp_folders() -> int:
    """Remove the working folders a killed ims left in the temporary directory: named as
    ``temp_folder`` names and marks them, owned by this user, after a process that no
    longer runs.
    Nothing else is touched, and nothing stops the server from starting: a folder that
    cannot be judged or removed is left. How many were removed."""
    removed = 0
    try:
        entries = list(Path(tempfile.gettempdir()).iterdir())
    except OSError:
        return 0
    for folder in entries:
        try:
            found = _FOLDER.fullmatch(folder.name)
            if found is None or int(found.group(1)) > PID_MAX:
                continue
            info = folder.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            if not (folder / MARK).is_file():
                continue
            if _alive(int(found.group(1))):
                continue
            shutil.rmtree(folder)
            removed += 1
        except Exception:  # a folder that cannot be judged is left alone
            continue
    return removed


# Files of the register made at once (a national GeoPackage holds 150–300 MB while it is
# made: six at once took the server from 0.55 to 1.22 GB): more wait their turn, a few at a
# time. Each waiting request holds one of the server's threads: 80 sent at once had taken
# all of them and the database's connections too, and a sign-in waited 67 s (a third attack
# on our own instance). So at most WAITING_PER_TURN a turn wait, each caller has at most as
# many files under way as there are turns, and a request hands its database connection back
# before it waits (``before_waiting``).
_exports: threading.BoundedSemaphore | None = None
_exports_size = 0
_exports_lock = threading.Lock()
_under_way: collections.Counter[str] = collections.Counter()
EXPORT_WAIT_S = 60.0
WAITING_PER_TURN = 2


def _being_made(n: int) -> str:
    return f"{counted(n, 'file')} {noun(n, 'is', 'are')} being made"


@contextlib.contextmanager
def export_turn(
    caller: str = "", before_waiting: Callable[[], object] | None = None
) -> Iterator[None]:
    """Hold one of ``IMS_EXPORTS_AT_ONCE`` turns while a register file is made for
    ``caller`` (a user name or an address); ServiceBusy (503, Retry-After) when the caller
    has all but one of them under way already (one if there is one), when too many wait,
    or when no turn comes free within a minute."""
    global _exports, _exports_size
    size = get_settings().exports_at_once
    with _exports_lock:
        if _exports is None or _exports_size != size:
            _exports, _exports_size = threading.BoundedSemaphore(size), size
        turns = _exports
        # one caller holds all but one turn at most: a viewer's two slow workbooks had
        # held both and told everyone else to wait (an attack on our own instance)
        if _under_way[caller] >= max(1, size - 1):
            raise ServiceBusy(
                f"{_being_made(_under_way[caller])} for you already: try again when "
                f"{noun(_under_way[caller], 'it is', 'they are')} done",
                retry_after=30,
            )
        if sum(_under_way.values()) >= size * (1 + WAITING_PER_TURN):
            raise ServiceBusy(
                f"{_being_made(size)} for others already and more wait their turn: "
                "try again shortly",
                retry_after=30,
            )
        _under_way[caller] += 1
    try:
        if not turns.acquire(blocking=False):
            if before_waiting is not None:
                before_waiting()
            if not turns.acquire(timeout=EXPORT_WAIT_S):
                raise ServiceBusy(
                    f"{_being_made(size)} for others already and none finished "
                    "within a minute: try again shortly",
                    retry_after=30,
                )
        try:
            yield
        finally:
            turns.release()
            _trim()
    finally:
        with _exports_lock:
            _under_way[caller] -= 1
            if not _under_way[caller]:
                del _under_way[caller]


def _trim() -> None:
    """Hand the memory a finished file freed back to the system: glibc keeps it in the
    arena of the thread that made it, and files made in turn by the server's threads took
    it from 0.41 to 1.55 GB though only two were made at once."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
