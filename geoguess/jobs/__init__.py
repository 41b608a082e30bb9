"""Background jobs: one machinery for image set imports and training runs (and whatever comes next).

A job is a database row (``BackgroundJob``: status, stage, heartbeat, attempts, problems, log) and a
Celery task that carries nothing but its id. The admin shows the row live; a worker that dies is
caught by its heartbeat. Each kind of job says what is its own in a ``JobKind`` (its model, task,
queue, how long a silent heartbeat may last, how many attempts it gets, what a dead attempt leaves
behind); everything else is here, once:

- ``services``: queue a job (``job_enqueue``), run one delivery of it (``job_run``: claim, heartbeat,
  finish), cancel it (``job_cancel``), and the stale sweep (``jobs_sweep``).
- ``attempt``: one worker's attempt at a job, and the heartbeat thread that writes its progress.
- ``progress``: the one JSON shape the admin's job pages poll (``static/jobs/job_progress.js``).
- ``admin``: the admin of a kind of job: live panel, progress JSON, cancel, the sweep on every page.

The policy, one for every kind, and why:

1. **A message is acknowledged when a worker takes it** (``JOB_TASK_OPTIONS``: ``acks_late=False``).
   A job can outlive the broker's visibility timeout (``CELERY_VISIBILITY_TIMEOUT``; a training run
   takes hours): acknowledged late, its message would be handed to a second worker while the first
   still works. Imports used to acknowledge late to get their message back after a crash, but only
   once the visibility timeout had passed (an hour by default), and the sweep below does that sooner.
2. **The row, not the message, says who works on a job.** A delivery claims the job in one
   conditional UPDATE, queued to running, with a fresh random ``token`` and ``attempts + 1``; a
   delivery that finds it anything but queued (running elsewhere, finished, cancelled, a copy of a
   message) does nothing. So a job never runs twice at once, whatever the broker hands out.
3. **Every write of an attempt names its token** (and ``status = running``). An attempt that was
   taken over, failed by the sweep, or is to be cancelled learns it at its next heartbeat and stops
   between two steps (``AttemptStopped``), writing nothing more.
4. **A heartbeat thread** writes the attempt's progress (at most once a second) and ``heartbeat_at``
   (at least every ``heartbeat_s``), so a long step that reports nothing (unpacking, evaluation) still
   beats, and a silent heartbeat means a dead worker, never a slow stage.
5. **The stale sweep** (``jobs_sweep``: run by the admin's job pages, before every claim, and when a
   worker starts) takes each running job whose heartbeat is older than ``stale_after_s``: if its dead
   attempt finished the work after all, the job is completed from what it left (``salvage``); else it
   is queued again while it has attempts left (``max_attempts``): the next attempt removes what the
   dead one left (``discard``) and starts afresh; else it fails, saying why (``gave_up``) and leaving
   nothing half done. Attempts are the one budget; each kind sets its own: an import is cheap to
   start again (3), a training run costs GPU hours and most often died of running out of memory,
   which would kill it again (1: an admin decides).
6. **A message that cannot be sent** (the broker is down) leaves the job queued, saying so in its
   stage (``UNSENT``); the sweep sends it again. Nothing the admin submitted (a gigabyte upload, a
   run's settings) is lost, and nothing waits forever: the next page or worker start sends it.
7. **Without a broker** (``make play`` with no Redis: eager tasks) a job runs in a thread of the
   web process (``geoguess.celery.send_or_run_here``), so the request that started it returns at once
   and the job's page follows it as it would a worker.
"""
