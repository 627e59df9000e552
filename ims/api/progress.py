"""How far a long job has got, for the page that started it (an upload's checks, an approval).

An upload's checks take half a minute for a national file and its approval two; ``ims
import`` prints each step as it starts, and the browser should not show less. The page
names its job with a random token of its own (``progress`` on the request that starts
it) and asks ``GET /api/v1/progress/{token}`` while it waits: the steps told so far, each
with the seconds since the job started, in the words ``ims import`` prints. Only the user
who started the job reads them, and a token is used once.

The steps are kept in the server's memory (``ims serve`` is one process, and a step is
worth nothing once its job has ended) for ``KEEP_S`` after the job ends; at most
``MOST_JOBS`` jobs are followed at once, the oldest finished dropped first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from ims.api.auth import PrincipalDep
from ims.errors import ImsError, InvalidRequest, NotFound, ServiceBusy

Say = Callable[[str], None]

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
KEEP_S = 600.0
MOST_JOBS = 1000
MOST_STEPS = 500  # an approval tells about twenty; a runaway job cannot fill the memory


class ProgressStep(BaseModel):
    """One step of a job, as it started."""

    at_s: float = Field(description="seconds since the job started")
    message: str


class ProgressPublic(BaseModel):
    """The steps a job has told so far, and once it has ended, how."""

    running: bool = Field(description="false once the job has ended, well or not")
    elapsed_s: float = Field(description="seconds since the job started (to its end)")
    steps: list[ProgressStep]
    href: str | None = Field(
        default=None, description="once it has ended well: the page of what it made or changed"
    )
    failed: str | None = Field(default=None, description="once it has failed: why, as answered")


@dataclass
class _Track:
    owner: int | None
    started: float = field(default_factory=time.monotonic)
    steps: list[tuple[float, str]] = field(default_factory=list)
    ended: float | None = None
    href: str | None = None
    failed: str | None = None


class Tracker:
    """The jobs being followed, by token (thread-safe: a job's steps arrive on the job
    pool's thread, the questions on the server's)."""

    def __init__(self, *, keep_s: float = KEEP_S, most_jobs: int = MOST_JOBS) -> None:
        self.keep_s = keep_s
        self.most_jobs = most_jobs
        self._lock = threading.Lock()
        self._tracks: dict[str, _Track] = {}

    @contextmanager
    def following(self, token: str | None, owner: int | None) -> Iterator[Say | None]:
        """Follow the job run inside the block under ``token`` (None: nobody asked, and
        the block gets no listener); it is ended however the block ends, and an error
        that ends it is kept as what it says (a page reloaded meanwhile shows it)."""
        if token is None:
            yield None
            return
        track = self._begin(token, owner)

        def say(message: str) -> None:
            with self._lock:
                if len(track.steps) < MOST_STEPS:
                    track.steps.append((time.monotonic() - track.started, message))

        try:
            yield say
        except ImsError as error:
            track.failed = error.detail
            raise
        except BaseException:
            track.failed = "the job failed; the server's log says why"
            raise
        finally:
            with self._lock:
                track.ended = time.monotonic()

    def conclude(self, token: str | None, href: str) -> None:
        """Say where the result of the job followed under ``token`` is (its page): a page
        reloaded while the job ran goes there when it learns the job has ended."""
        if token is None:
            return
        with self._lock:
            track = self._tracks.get(token)
            if track is not None:
                track.href = href

    def read(self, token: str, owner: int | None) -> ProgressPublic:
        """The steps of the job under ``token``; NotFound for another user's, or none."""
        with self._lock:
            track = self._tracks.get(token)
            if track is None or track.owner != owner:
                raise NotFound("no job of yours is followed under this token (yet)")
            end = track.ended if track.ended is not None else time.monotonic()
            return ProgressPublic(
                running=track.ended is None,
                elapsed_s=round(end - track.started, 1),
                steps=[ProgressStep(at_s=round(at, 1), message=m) for at, m in track.steps],
                href=track.href if track.ended is not None else None,
                failed=track.failed,
            )

    def _begin(self, token: str, owner: int | None) -> _Track:
        with self._lock:
            self._forget_old()
            if token in self._tracks:
                raise InvalidRequest("this progress token is in use already: make a new one")
            if len(self._tracks) >= self.most_jobs:
                raise ServiceBusy(
                    f"ims follows {self.most_jobs} jobs already; try again in a while",
                    retry_after=30,
                )
            track = self._tracks[token] = _Track(owner)
            return track

    def _forget_old(self) -> None:
        now = time.monotonic()
        for token, track in list(self._tracks.items()):
            if track.ended is not None and now - track.ended > self.keep_s:
                del self._tracks[token]
        if len(self._tracks) >= self.most_jobs:  # full of recent ones: the oldest ended go
            ended = sorted(
                (t.ended, token) for token, t in self._tracks.items() if t.ended is not None
            )
            for _, token in ended[: len(self._tracks) - self.most_jobs + 1]:
                del self._tracks[token]


def get_tracker(request: Request) -> Tracker:
    """The app's tracker of long jobs."""
    tracker: Tracker = request.app.state.progress
    return tracker


TrackerDep = Annotated[Tracker, Depends(get_tracker)]
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="the job's token, as sent")]

router = APIRouter(tags=["submissions"])


@router.get("/progress/{token}", response_model=ProgressPublic)
def read_progress(token: Token, principal: PrincipalDep, tracker: TrackerDep) -> ProgressPublic:
    """How far your upload's checks or your approval started with ``progress=token`` have
    got: each step told so far, as ``ims import`` prints it (404 until the job has started,
    and for ten minutes after it has ended)."""
    return tracker.read(token, principal.user_id if principal else None)
