"""Run the database tests against a real, throwaway PostgreSQL server (no mocks).

Load it as a pytest plugin: ``python -m pytest -p tests.support.postgres`` (``make test`` runs
the suite once on SQLite, then once more like this). The plugin

1. starts a PostgreSQL server from the installed binaries (Debian's ``postgresql``
   package) in a temporary folder, on a free loopback port, with durability off for
   speed, and points ``DATABASE_URL`` at it;
2. keeps only the tests that use the database (the ``db``, ``transactional_db`` and
   ``django_db`` family, and fixtures built on them such as ``admin_client``) and
   deselects the rest, which the SQLite pass has already run; pytest-django then
   creates its test database on the server, as on SQLite;
3. stops the server and removes its folder when pytest ends.

A selection with no database test in it (``-m "not slow"`` in a file without any, say)
leaves this pass nothing to do: it ends with status 0, not pytest's 5 (no tests).

It has to be a ``-p`` plugin, not a conftest: pytest-django reads the Django settings
in its own ``pytest_load_initial_conftests`` hook, and ``geoguess.settings`` reads
``DATABASE_URL`` once, at import. A ``-p`` plugin is registered before that hook runs,
and ``tryfirst`` puts this plugin's implementation ahead of pytest-django's.

Without PostgreSQL installed, the database tests are skipped with a message saying
what to install; in CI (``CI`` set) the run stops with that message instead, as
``tests.support.processes.require_binary`` does for Redis and Chromium.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import free_port

MISSING = "PostgreSQL is not installed (Debian: apt-get install postgresql); .ci/run installs it"
#: The fixtures through which a test reaches the database; every database fixture of
#: pytest-django (``admin_client``, ``django_user_model``, ``live_server``...) requests one of them.
DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "django_db_setup"})
#: Settings for a server whose data is thrown away: no durability, nothing to wait for.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
START_TIMEOUT_S = 30


def postgres_bindir() -> Path | None:
    """The folder of ``initdb`` and ``postgres``: Debian keeps them off PATH, one folder per major version."""
    debian = [Path(path).parent for path in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    debian = [folder for folder in debian if folder.parent.name.isdigit()]
    if debian:
        return max(debian, key=lambda folder: int(folder.parent.name))
    on_path = shutil.which("initdb")  # other systems put them on PATH
    return Path(on_path).parent if on_path else None


@dataclass
class Server:
    """A running ``postgres`` process and the temporary folder that holds all of its files."""

    process: subprocess.Popen
    folder: Path
    url: str

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for idle client connections.
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def server_user() -> str | None:
    """Whom to run the server as: PostgreSQL refuses to run as root, so root hands it to ``postgres``.

    Debian's package creates that system user; ``nobody`` serves where it does not exist.
    ``None``: an ordinary user runs it as themselves.
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise pytest.UsageError("running as root, but there is neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")


def run_as(user: str | None) -> dict:
    """Popen keyword arguments that drop root to ``user`` (no runuser/sudo needed)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def start_server(bindir: Path, settings: dict[str, str] = FAST_SETTINGS) -> Server:
    """initdb + postgres in a new temporary folder; returns once the server accepts connections.

    ``settings`` are the server's (``-c name=value``); the load benchmark passes none, to measure a
    durable server as deployed.
    """
    user = server_user()
    # Handed to another user, the folder goes in /tmp, which every user can reach (a TMPDIR
    # under /root would not be); the data folder inside must belong to the server's user.
    folder = Path(tempfile.mkdtemp(prefix="geoguess-postgres-", dir="/tmp" if user else None))
    try:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        # trust: the server listens only on 127.0.0.1 and lives as long as this test run.
        # --no-sync: nothing here must survive a crash. C locale: byte order, as SQLite sorts.
        initdb = subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(folder / "data"),
                "--username=geoguess",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            **run_as(user),
        )
        if initdb.returncode != 0:
            raise pytest.UsageError(f"initdb failed:\n{initdb.stdout}{initdb.stderr}")
        # A free port can be taken by someone else between choosing it and binding it: try again then.
        for _attempt in range(3):
            server = launch(bindir, folder, free_port(), user, settings)
            if server is not None:
                return server
        log = (folder / "server.log").read_text(errors="replace")[-3000:]
        raise pytest.UsageError(f"PostgreSQL did not start; the end of its log:\n{log}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def launch(bindir: Path, folder: Path, port: int, user: str | None, settings: dict[str, str] = FAST_SETTINGS) -> Server | None:
    """One try at starting the server on ``port``: the server once it answers, None if it exits first."""
    import psycopg  # in requirements.txt; imported here so that loading the plugin stays cheap

    # TCP on loopback only: no Unix socket, so no socket folder to own or path-length limit to meet.
    loopback = {**settings, "listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": ""}
    command = [str(bindir / "postgres"), "-D", str(folder / "data")]
    for name, value in loopback.items():
        command += ["-c", f"{name}={value}"]
    with open(folder / "server.log", "ab") as log:
        process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, **run_as(user))
    server = Server(process, folder, f"postgres://geoguess@127.0.0.1:{port}/geoguess")
    deadline = time.monotonic() + START_TIMEOUT_S
    while process.poll() is None:
        try:
            with psycopg.connect(
                f"host=127.0.0.1 port={port} user=geoguess dbname=postgres connect_timeout=2", autocommit=True
            ) as connection:
                # The database DATABASE_URL names; pytest-django creates test_geoguess beside it.
                connection.execute("CREATE DATABASE geoguess")
            return server
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                log = (folder / "server.log").read_text(errors="replace")[-3000:]
                raise pytest.UsageError(
                    f"PostgreSQL did not accept connections within {START_TIMEOUT_S} s; the end of its log:\n{log}"
                ) from None
            time.sleep(0.1)
    return None


def uses_database(item: pytest.Item) -> bool:
    """Whether a test reaches the database: through a fixture, the django_db mark, or a Django TestCase."""
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if item.get_closest_marker("django_db") is not None:
        return True
    from django.test import TransactionTestCase

    cls = getattr(item, "cls", None)
    return cls is not None and issubclass(cls, TransactionTestCase)


_skip_reason_key = pytest.StashKey[str]()
_only_non_database_tests_key = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    if early_config.known_args_namespace.help or early_config.known_args_namespace.version:
        return
    bindir = postgres_bindir()
    if bindir is None or not (bindir / "postgres").exists():
        if os.environ.get("CI"):
            raise pytest.UsageError(MISSING)
        early_config.stash[_skip_reason_key] = MISSING
        return
    server = start_server(bindir)
    early_config.add_cleanup(server.stop)
    os.environ["DATABASE_URL"] = server.url


def pytest_report_header(config: pytest.Config) -> str:
    if _skip_reason_key in config.stash:
        return f"PostgreSQL: {config.stash[_skip_reason_key]}: database tests skipped"
    return f"PostgreSQL: the database tests only, on {os.environ.get('DATABASE_URL')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The other tests ran in the SQLite pass and do not depend on the database.
    marks = [uses_database(item) for item in items]
    kept = [item for item, uses in zip(items, marks) if uses]
    deselected = [item for item, uses in zip(items, marks) if not uses]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
        config.stash[_only_non_database_tests_key] = not kept
    if _skip_reason_key in config.stash:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=config.stash[_skip_reason_key]))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Tests were selected (say `-m "not slow"`, or one file) but none uses the database:
    # this pass has nothing to do, which is a success, not pytest's "no tests collected" (5).
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and session.config.stash.get(_only_non_database_tests_key, False):
        session.exitstatus = pytest.ExitCode.OK
