"""Settings of the test suite: the project's own, with a secret key of the tests' own.

The project refuses to start with DEBUG off and no key (``geoguess/settings.py``).
The key goes into the environment before the project's settings read it, so the
servers, workers and commands the tests start as subprocesses inherit it too.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", "tests-only-" + secrets.token_urlsafe(40))

from geoguess.settings import *  # noqa: F403

# Django's advice for test suites: a fast hasher. The real one (PBKDF2, a million rounds) takes most of a
# second per password, and the accounts' tests sign up and sign in hundreds of times. The site the browser
# tests run keeps the real one (its own settings).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
