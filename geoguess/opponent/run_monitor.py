"""Between a training loop and its ``TrainingRun`` row: progress, log, heartbeat and the cancel flag.

The training loop calls ``hook`` after every batch and ``log`` for every line; both only
touch memory, so training never waits on the database. A thread writes what they
recorded to the run every ``every_s`` seconds, with a fresh ``heartbeat_at``, and reads
back whether the run is to stop (cancelled by an admin, or failed by the stale-run
sweep); the next ``hook`` call then raises ``TrainingCancelled``, between two batches.

The heartbeat comes from that thread, not from the loop: steps without a hook call
(evaluation, the retrieval bank) can be long, and a silent heartbeat must mean a dead
worker, never a slow stage.

With ``threaded=False`` the hook writes itself (at the same pace), from the caller's
thread: for a caller inside a transaction (a test's), where a second connection would
not see the run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from geoguess.opponent.models import TrainingRun
from training.engine import Progress

logger = logging.getLogger(__name__)

#: Seconds between two writes of a run's progress and heartbeat.
HEARTBEAT_S = 2.0


class TrainingCancelled(Exception):
    """Raised inside the training loop when its run is to stop."""


class RunMonitor:
    def __init__(
        self, run_id: int, *, echo: Callable[[str], None] | None = None, every_s: float = HEARTBEAT_S, threaded: bool = True
    ) -> None:
        self.run_id, self.echo, self.every_s, self.threaded = run_id, echo, every_s, threaded
        self._last_flush = time.perf_counter()
        self.stop_requested = threading.Event()  # read by the hook: the run is to stop
        self._done = threading.Event()  # the training is over: the thread writes once more and ends
        self._lock = threading.Lock()
        self._fields: dict[str, object] = {}  # progress not written yet
        self._lines: list[str] = []  # log lines not written yet
        self._stage: Progress | None = None  # the loop of the current stage (its start times the ETA)
        self._epoch_fraction = 0.0  # of the current stage, at the last whole epoch
        self._epochs = 1  # of the current stage
        self._thread = threading.Thread(target=self._loop, name=f"training-run-{run_id}", daemon=True)

    # --- the training loop's side ---------------------------------------------------------

    def log(self, line: str) -> None:
        if self.echo is not None:
            self.echo(line)
        with self._lock:
            self._lines.append(line)

    def hook(self, progress: Progress) -> None:
        """``training.engine.ProgressHook``: records where the loop is; raises once the run is to stop."""
        if self.stop_requested.is_set():
            raise TrainingCancelled()
        now = time.perf_counter()
        with self._lock:
            if progress.unit == "epochs":  # a stage: the classifier, the interpolation head
                self._stage = progress
                fraction = progress.done / max(progress.total, 1)
                self._epoch_fraction, self._epochs = fraction, max(progress.total, 1)
                self._fields.update(stage=progress.desc, epoch=progress.done, epochs=progress.total)
                if "loss" in progress.values:
                    self._fields["loss"] = progress.values["loss"]
            elif progress.unit == "batches":  # an epoch of the current stage: counts towards its fraction and ETA
                fraction = self._epoch_fraction + progress.done / max(progress.total, 1) / self._epochs
                if "loss" in progress.values:
                    self._fields["loss"] = progress.values["loss"]
            else:  # images being loaded, or any other loop: a stage of its own
                self._stage = progress
                fraction = progress.done / max(progress.total, 1)
                self._fields.update(stage=progress.desc, epoch=None, epochs=None)
            elapsed = now - (self._stage or progress).started
            self._fields["stage_fraction"] = min(fraction, 1.0)
            self._fields["eta_seconds"] = elapsed * (1 - fraction) / fraction if 0 < fraction <= 1 else None
        if not self.threaded and now - self._last_flush >= self.every_s:
            self.flush()

    # --- the thread -----------------------------------------------------------------------

    def start(self) -> None:
        if self.threaded:
            self._thread.start()

    def stop(self) -> None:
        """Ends the thread after a last write of what is pending (call before the run's final update)."""
        if not self.threaded:
            self.flush()
            return
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        try:
            while True:
                finished = self._done.wait(self.every_s)
                try:
                    self.flush()
                except Exception:  # a locked or unreachable database: try again next time, keep training
                    logger.exception("training run %s: could not record progress", self.run_id)
                    connection.close()  # the next write opens a fresh one
                if finished:
                    return
        finally:
            connection.close()  # this thread's own connection

    def flush(self) -> None:
        self._last_flush = time.perf_counter()
        with self._lock:
            fields, lines = self._fields, self._lines
            self._fields, self._lines = {}, []
        run = TrainingRun.objects.filter(pk=self.run_id)
        try:
            log = {"log": Concat(F("log"), Value("".join(line + "\n" for line in lines)))} if lines else {}
            run.update(heartbeat_at=timezone.now(), **fields, **log)
        except Exception:
            with self._lock:  # written next time, in order, unless newer progress replaced it
                self._fields = {**fields, **self._fields}
                self._lines[:0] = lines
            raise
        status, cancel = run.values_list("status", "cancel_requested").get()
        # Cancelled by an admin, or failed by the sweep while this worker still lives: stop either way.
        if cancel or status != TrainingRun.Status.RUNNING:
            self.stop_requested.set()
