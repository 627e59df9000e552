"""Dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ims.jobs import Jobs


def get_engine(request: Request) -> Engine:
    """The engine the app was created with."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A session per request, committed by the code that changes data."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def get_jobs(request: Request) -> Jobs:
    """Where long jobs run: the app's worker pools (tests may run them inline)."""
    jobs: Jobs = request.app.state.jobs
    return jobs


EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
JobsDep = Annotated[Jobs, Depends(get_jobs)]


@contextmanager
def request_session(app: FastAPI) -> Iterator[Session]:
    """A session as a route would get it, for code that runs before routing (the gate).

    It honours a test's ``dependency_overrides[get_session]``, as the routes do.
    """
    override: Any = app.dependency_overrides.get(get_session)
    if override is None:
        with Session(app.state.engine, expire_on_commit=False) as session:
            yield session
        return
    made = override()
    if isinstance(made, Session):
        yield made
        return
    try:
        yield next(made)
    finally:
        made.close()
