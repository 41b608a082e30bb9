"""Between a training loop and its run's row: where the loop is, in the run's fields.

``training``'s loops call ``hook`` after every step (``training.engine.ProgressHook``): it turns
the loop's ``Progress`` into the run's stage, epoch, loss, the current stage's fraction and its
ETA, and hands them to the job's attempt (``geoguess.jobs.attempt``), whose heartbeat writes them.
It only touches memory, so training never waits on the database; and it is where the training
stops, between two batches, once the run is cancelled or taken from this worker.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from geoguess.jobs.attempt import Attempt
from training.engine import Progress


class TrainingProgress:
    def __init__(self, attempt: Attempt) -> None:
        self.attempt = attempt
        self._lock = threading.Lock()
        self._stage: Progress | None = None  # the loop of the current stage (its start times the ETA)
        self._epoch_fraction = 0.0  # of the current stage, at the last whole epoch
        self._epochs = 1  # of the current stage

    def hook(self, progress: Progress) -> None:
        """Records where the loop is; raises ``AttemptStopped`` once the run is to stop."""
        self.attempt.check()
        now = time.perf_counter()
        fields: dict[str, Any] = {}
        with self._lock:
            if progress.unit == "epochs":  # a stage: the classifier, the interpolation head
                self._stage = progress
                fraction = progress.done / max(progress.total, 1)
                self._epoch_fraction, self._epochs = fraction, max(progress.total, 1)
                fields.update(stage=progress.desc, epoch=progress.done, epochs=progress.total)
            elif progress.unit == "batches":  # an epoch of the current stage: counts towards its fraction and ETA
                fraction = self._epoch_fraction + progress.done / max(progress.total, 1) / self._epochs
            else:  # images being loaded, or any other loop: a stage of its own
                self._stage = progress
                fraction = progress.done / max(progress.total, 1)
                fields.update(stage=progress.desc, epoch=None, epochs=None)
            if "loss" in progress.values:
                fields["loss"] = progress.values["loss"]
            elapsed = now - (self._stage or progress).started
        fields["stage_fraction"] = min(fraction, 1.0)
        fields["eta_seconds"] = elapsed * (1 - fraction) / fraction if 0 < fraction <= 1 else None
        self.attempt.report(**fields)
