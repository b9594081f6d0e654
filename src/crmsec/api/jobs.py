"""Background jobs (scenario runs, appraisals, allocation and stockpile runs) with progress.

A small thread pool runs the engine call; the call receives a ``progress(fraction, message)`` callback.
Jobs live in memory; a job's result is fetched from its result URL.

Bounds (issue 16): at most ``max_pending`` unfinished (queued or running) jobs in all and ``max_per_user`` per
user — a further submission answers 429 with ``Retry-After``. An unfinished job is never dropped; a finished
one is kept ``ttl_s`` seconds (default one hour) after it finished, and earlier only when more than ``keep``
finished jobs are held (the oldest finished goes first).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import HTTPException

from crmsec.errors import CrmsecError

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done", "failed"]
Progress = Callable[[float, str], None]


@dataclass
class Job:
    id: str
    kind: str
    params: dict[str, Any]
    owner: str | None
    status: JobStatus = "queued"
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None
    meta: dict[str, Any] | None = None  # provenance of the result (crmsec.provenance)


class JobManager:
    """Runs callables in worker threads and tracks their state (thread-safe)."""

    def __init__(self, workers: int = 2, keep: int = 200, max_pending: int = 20, max_per_user: int = 4,
                 ttl_s: float = 3600.0) -> None:
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep
        self.max_pending, self.max_per_user, self.ttl_s = max_pending, max_per_user, ttl_s

    def _admit(self, owner: str | None) -> None:
        """429 when the queue (or this user's share of it) is full; call with the lock held."""
        pending = [j for j in self._jobs.values() if j.finished is None]
        mine = sum(1 for j in pending if j.owner == owner)
        if mine >= self.max_per_user or len(pending) >= self.max_pending:
            who = f"you have {mine} unfinished jobs (at most {self.max_per_user})" if mine >= self.max_per_user \
                else f"the server has {len(pending)} unfinished jobs (at most {self.max_pending})"
            raise HTTPException(429, f"job queue full: {who}; wait for a job to finish and submit again",
                                headers={"Retry-After": "10"})

    def _evict(self) -> None:
        """Drop finished jobs past their TTL, then the oldest finished beyond ``keep``; call with the lock held."""
        now = time.time()
        finished = [j for j in self._jobs.values() if j.finished is not None]
        for j in finished:
            if now - j.finished > self.ttl_s:
                del self._jobs[j.id]
        finished = sorted((j for j in self._jobs.values() if j.finished is not None), key=lambda j: j.finished)
        for j in finished[: max(0, len(finished) - self._keep)]:
            del self._jobs[j.id]

    def submit(self, kind: str, fn: Callable[[Progress], Any], params: dict[str, Any], owner: str | None) -> Job:
        job = Job(id=uuid.uuid4().hex, kind=kind, params=params, owner=owner)
        with self._lock:
            self._evict()
            self._admit(owner)
            self._jobs[job.id] = job
        with self._lock:  # (re)started lazily: a lifespan shutdown does not break later submissions
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="crmsec-job")
            self._pool.submit(self._run, job, fn)
        return job

    def _run(self, job: Job, fn: Callable[[Progress], Any]) -> None:
        def progress(fraction: float, message: str = "") -> None:
            job.progress = min(max(float(fraction), 0.0), 1.0)
            if message:
                job.message = message

        from crmsec.api.meta import api_meta
        from crmsec.provenance import recording

        job.status = "running"
        try:
            with recording(f"job {job.kind}", job.params):  # the provenance of the job's result
                job.result = fn(progress)
                job.meta = api_meta()
            job.progress = 1.0
            job.status = "done"
        except CrmsecError as err:
            job.error = str(err)
            job.status = "failed"
        except Exception as err:  # a bug in an engine: keep the server alive, record it, log the traceback
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.error = f"internal error: {type(err).__name__}: {err}"
            job.status = "failed"
        finally:
            job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float = 30.0) -> Job | None:
        """Block until the job is finished (tests and the CLI); returns the job."""
        end = time.time() + timeout
        while time.time() < end:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.02)
        return self.get(job_id)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
