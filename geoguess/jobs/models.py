"""``BackgroundJob``: the state every background job keeps in its row (abstract; each kind adds its own fields)."""

from __future__ import annotations

from django.db import models


class BackgroundJob(models.Model):
    """One job for a worker: its row is its whole state. The admin page polls it; a worker that takes the
    job over after another died reads from it what the dead one may have left (see ``geoguess.jobs``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    #: What it makes: the image set to create, the model version to register.
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    #: What the worker is doing now, in words ("checking", "classifier"); "done" once it succeeded.
    stage = models.CharField(max_length=120, blank=True, default="queued")
    #: Why it failed, one line each (an upload's problems, a run's error).
    problems = models.JSONField(default=list, blank=True)
    #: What its attempts wrote, line by line.
    log = models.TextField(blank=True)
    #: Set by an admin: the attempt stops between two steps and the job ends cancelled.
    cancel_requested = models.BooleanField(default=False)
    #: The attempt that owns the job now, a random token that each of its writes names (an import's
    #: files go under folders named after it, so a later attempt can remove exactly what a dead one wrote).
    token = models.CharField(max_length=32, blank=True, editable=False)
    #: Attempts started: one per claim, a second only after a worker died (see ``JobKind.max_attempts``).
    attempts = models.PositiveSmallIntegerField(default=0)
    #: How many times a worker received its message: a copy finds the job taken and does nothing.
    deliveries = models.PositiveIntegerField(default=0)
    #: Host and process of the worker that runs the current attempt.
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    #: Refreshed every few seconds by the worker running the job: a stale one means that worker is gone.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def error(self) -> str:
        """Its problems as one text ("" when there are none)."""
        return "\n".join(str(problem) for problem in self.problems)
