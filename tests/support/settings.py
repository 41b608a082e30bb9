"""Settings of the test suite: the project's own, with a secret key of the tests' own.

The project refuses to start with DEBUG off and no key (``geoguess/settings.py``).
The key goes into the environment before the project's settings read it, so the
servers, workers and commands the tests start as subprocesses inherit it too.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", "tests-only-" + secrets.token_urlsafe(40))

from geoguess.settings import *  # noqa: F403
