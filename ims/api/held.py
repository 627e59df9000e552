"""Files the upload page has read, held for the request that sends them for checking.

The upload page reads a file's columns first (``POST /api/v1/submissions/inspect``) and
sends it for checking once its fields are matched (``POST /api/v1/submissions``). A
national file is over a hundred megabytes, and from a provincial office it crossed the
network twice. The inspection now keeps the file it read and answers a token (``held``);
the second request names the token instead of sending the file again (decision 0016).

A held file belongs to the user who sent it, is kept for ``KEEP_S`` after it was read (or
last sent), and is gone once a submission was made of it. A user holds at most
``PER_OWNER`` files (the oldest dropped first), and all users together at most
``most_bytes`` (four uploads of the largest size), the files of whoever holds the most
dropped first (of whoever held last, among equals): a page left open costs disk for an
hour at most, nobody can fill the disk by reading files again and again, and nobody
pushes out the others' files. The files live in a private folder of the server's
process, removed when it stops: a token does not outlive a restart (the page then sends
the file itself).
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from ims.errors import Conflict, Gone
from ims.files import temp_folder

HELD_PATTERN = r"^[A-Za-z0-9_-]{32}$"
KEEP_S = 3600.0
PER_OWNER = 2


@dataclass
class _Held:
    owner: int | None
    path: Path
    size: int
    at: float = field(default_factory=time.monotonic)
    sending: bool = False


class HeldUploads:
    """The held files, by token (thread-safe: requests run on the server's threads)."""

    def __init__(self, most_bytes: int, *, keep_s: float = KEEP_S) -> None:
        self.most_bytes = most_bytes
        self.keep_s = keep_s
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}
        self._folder: Path | None = None

    def hold(self, path: Path, owner: int | None) -> str:
        """Move ``path`` (a file just read) here, held for ``owner``; its token."""
        token = secrets.token_urlsafe(24)
        size = path.stat().st_size
        with self._lock:
            target = self._root() / token
            target.mkdir(mode=0o700)
            kept = target / path.name
            shutil.move(path, kept)
            self._held[token] = _Held(owner, kept, size)
            self._expire()
            self._limit(owner, token)
        return token

    @contextmanager
    def sending(self, token: str, owner: int | None) -> Iterator[Path]:
        """The held file under ``token`` while a submission is made of it: removed when the
        block ends well, held again (for ``KEEP_S`` more) when it fails, so that the
        reader can correct the mapping and send it once more."""
        with self._lock:
            self._expire()
            held = self._held.get(token)
            if held is None or held.owner != owner:
                raise Gone(
                    "the file read for matching its columns is no longer held (it is kept "
                    "for an hour, and not after the server restarts): choose it again"
                )
            if held.sending:
                raise Conflict("this file is being sent for checking already")
            held.sending = True
        try:
            yield held.path
        except BaseException:
            with self._lock:
                held.sending = False
                held.at = time.monotonic()
            raise
        with self._lock:
            self._forget(token)

    def close(self) -> None:
        """Remove every held file (the server stops)."""
        with self._lock:
            self._held.clear()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _root(self) -> Path:
        if self._folder is None:
            self._folder = temp_folder("held")
            os.chmod(self._folder, 0o700)
            # also when the app is dropped without its shutdown (tests, a crash of the loop)
            weakref.finalize(self, shutil.rmtree, self._folder, True)
        return self._folder

    def _forget(self, token: str) -> None:
        held = self._held.pop(token, None)
        if held is not None:
            shutil.rmtree(held.path.parent, ignore_errors=True)

    def _expire(self) -> None:
        now = time.monotonic()
        for token, held in list(self._held.items()):
            if not held.sending and now - held.at > self.keep_s:
                self._forget(token)

    def _limit(self, owner: int | None, token: str) -> None:
        """``owner``'s files beyond ``PER_OWNER``, the oldest first; then, while everyone's
        are beyond ``most_bytes``, the oldest file of whoever holds the most bytes, of
        whoever held last among equals (never one being sent, the one just held last of
        all). The oldest of all had gone first: a user with two accounts could push out
        everyone else's files; and then, on a tie, a user's two files went before the two
        of an account held after them."""
        idle = [t for _, t in sorted((h.at, t) for t, h in self._held.items() if not h.sending)]
        mine = [t for t in idle if self._held[t].owner == owner]
        for old in mine[: max(0, len(mine) - PER_OWNER)]:
            self._forget(old)
            idle.remove(old)
        while idle and sum(h.size for h in self._held.values()) > self.most_bytes:
            holds: dict[int | None, int] = {}
            latest: dict[int | None, float] = {}
            for held in self._held.values():
                holds[held.owner] = holds.get(held.owner, 0) + held.size
                latest[held.owner] = max(latest.get(held.owner, held.at), held.at)
            others = [t for t in idle if t != token] or idle
            drop = max(
                others,
                key=lambda t: (
                    holds[self._held[t].owner],
                    latest[self._held[t].owner],
                    -self._held[t].at,
                ),
            )
            self._forget(drop)
            idle.remove(drop)


def get_held(request: Request) -> HeldUploads:
    """The app's held uploads."""
    held: HeldUploads = request.app.state.held
    return held


HeldDep = Annotated[HeldUploads, Depends(get_held)]
