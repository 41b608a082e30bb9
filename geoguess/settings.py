"""Settings for the worldNET GeoGuessr site, read from the environment.

With no variables set, the site runs on SQLite and local media files under the
checkout (the embedded default). ``DATABASE_URL`` (e.g. PostgreSQL) and
``CELERY_BROKER_URL`` (Redis) are how it grows past one machine.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from geoguess.env import env_bool, env_int, env_list, env_str
from geoguess.security import DEV_SECRET_KEY, local_secret_key, running_play_command
from worldnet_core.maps import leaflet_dir

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
# SECRET_KEY is set below, once VAR_DIR is known.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Daphne first: its runserver serves the ASGI application (HTTP and the parties' WebSockets).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "geoguess.imagesets",
    "geoguess.game",
    "geoguess.opponent",
    "geoguess.party",
    "geoguess.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "geoguess.security.SecurityHeadersMiddleware",  # Content-Security-Policy, Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "geoguess.game.caching.GameNoStoreMiddleware",  # every game response private, no-store (its 404s and 405s too)
]

ROOT_URLCONF = "geoguess.urls"
WSGI_APPLICATION = "geoguess.wsgi.application"  # HTTP only (gunicorn); parties need the ASGI one
ASGI_APPLICATION = "geoguess.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "geoguess.game.context_processors.rules",  # the rules' numbers, for every page and its scripts
            ],
        },
    },
]

# Run-time files of the embedded default (SQLite database, media, collected static).
VAR_DIR = Path(env_str("GEOGUESS_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# The key that signs sessions (the player's key is in a signed cookie) and CSRF tokens:
# 1. SECRET_KEY from the environment: deployments, and the tests (tests/settings.py);
# 2. else the random key `manage.py play` generated once for this VAR_DIR, so the game it
#    runs, its worker and later commands (createsuperuser...) share it;
# 3. else, with DEBUG on, a development key. With DEBUG off, start-up stops: a key
#    anyone can read in this repository would let them forge sessions.
SECRET_KEY_FILE = VAR_DIR / "secret_key"
SECRET_KEY = env_str("SECRET_KEY", "") or local_secret_key(SECRET_KEY_FILE, create=running_play_command()) or DEV_SECRET_KEY
if SECRET_KEY == DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it for a deployment "
        "(e.g. SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')), "
        f"run `manage.py play` once to keep a random key in {SECRET_KEY_FILE}, or set DEBUG=true for development."
    )
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves many players: WAL lets reads run beside a write, and
    # IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Leaflet comes from the django-leaflet package's static files (served as /static/leaflet/),
# not from a CDN; its Django app is not installed, since it would need GDAL.
STATICFILES_DIRS = [BASE_DIR / "static", ("leaflet", str(leaflet_dir()))]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# WhiteNoise serves static files in every mode (no web server needed in front for a local game),
# also straight from the app folders, so a missed collectstatic cannot break the maps.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# The game.
#: A Leaflet tile URL template for deployments that have a tile server; empty: the
#: offline basemap of country outlines drawn from the shipped geometry.
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")
#: Longest side of the images players are served (a round shows the image about 800 px wide, more on large screens).
SERVED_IMAGE_MAX_SIDE = env_int("SERVED_IMAGE_MAX_SIDE", 1600)
# Image set imports: what an upload may hold. An honest zip of photos is near 1:1
# compressed; a zip bomb is hundreds to a thousand times.
#: Largest image accepted, in pixels (50 MP: any camera's photo; a 30000×30000 bomb is refused).
IMPORT_MAX_IMAGE_PIXELS = env_int("IMPORT_MAX_IMAGE_PIXELS", 50_000_000)
#: Most an archive may unpack to, in bytes.
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 20 * 1024**3)
#: Most one zip entry (over 16 MiB) may expand, and the whole archive, as uncompressed / compressed.
IMPORT_MAX_ENTRY_RATIO = env_int("IMPORT_MAX_ENTRY_RATIO", 200)
IMPORT_MAX_TOTAL_RATIO = env_int("IMPORT_MAX_TOTAL_RATIO", 50)
#: Import jobs (on the ``imports`` queue): a running job's worker writes a heartbeat this often (seconds);
#: after four missed beats the stale sweep queues the job again, up to IMPORT_MAX_ATTEMPTS attempts in all.
IMPORT_HEARTBEAT_SECONDS = env_int("IMPORT_HEARTBEAT_SECONDS", 10)
IMPORT_MAX_ATTEMPTS = env_int("IMPORT_MAX_ATTEMPTS", 3)
#: Seconds of network slack allowed after a round's time limit.
GUESS_GRACE_SECONDS = env_int("GUESS_GRACE_SECONDS", 3)
#: Photos per prediction task.
PREDICTION_BATCH_SIZE = env_int("PREDICTION_BATCH_SIZE", 32)
#: Fewer test photos than this measure nothing: a model version's page says its set is too small to
#: measure instead of showing a mean and a median (the training programs' default, MIN_TEST_IMAGES).
WORLDNET_MIN_TEST_PHOTOS = env_int("WORLDNET_MIN_TEST_PHOTOS", 30)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# A larger upload is spooled to disk as it arrives: beside the media, so that keeping an image
# set's zip under MEDIA_ROOT/imports/ (imagesets.jobs) is a rename, not a copy of gigabytes from
# /tmp to MEDIA_ROOT's volume inside the request (gunicorn's 30 s would end it).
FILE_UPLOAD_TEMP_DIR = str(MEDIA_ROOT / "imports" / ".spool")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)

# Players' accounts (geoguess/accounts): Django's own auth views. The admin keeps its own sign-in page.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:me"
LOGOUT_REDIRECT_URL = "game:home"
# Password-reset mail: printed on the console by default (`make play`); SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "worldNET GeoGuessr <noreply@localhost>")
# Players' sessions hold one random key: a signed cookie carries it with no database read per request.
SESSION_ENGINE = env_str("SESSION_ENGINE", "django.contrib.sessions.backends.signed_cookies")
SESSION_COOKIE_HTTPONLY = True
# Two weeks (Django's default). With signed-cookie sessions a copied cookie outlives sign-out until then (docs/security.md).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)

# HTTPS. The embedded default is plain HTTP on loopback; a deployment behind TLS turns these on
# (README, "Security"), and `manage.py check --deploy` then reports no warnings.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)


def _proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """The header a TLS-terminating proxy sets to "https" (e.g. X-Forwarded-Proto), as Django wants it.

    Only set it when the proxy always sets (or strips) that header: otherwise a client
    could claim HTTPS by sending it.
    """
    if not name:
        return None
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER={name!r} is not a header name (e.g. X-Forwarded-Proto)")
    return ("HTTP_" + name.upper().replace("-", "_"), "https")


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(env_str("SECURE_PROXY_SSL_HEADER", ""))
# Django's defaults, stated because the README and tests rely on them: no MIME sniffing, no
# cross-origin Referer, no framing by other sites (CSP frame-ancestors says the same).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Celery: every CELERY_* setting here is read by geoguess/celery.py.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Exact names win over patterns: training runs go to the `training` queue (GPU workers), the
# opponent's other tasks to `inference`.
CELERY_TASK_ROUTES = {
    "geoguess.opponent.tasks.train_run": {"queue": "training"},
    "geoguess.opponent.tasks.*": {"queue": "inference"},
    "geoguess.imagesets.tasks.*": {"queue": "imports"},
    # Light and punctual (worldNET's lock-in in a party): never behind a batch of predictions.
    "geoguess.party.tasks.*": {"queue": "party"},
}
# Celery beat: the game's housekeeping on a timer (the default `celery` queue). `manage.py play` runs beat inside its
# worker (-B); a deployment runs one `celery -A geoguess beat` beside a worker of the `celery` queue, or the same
# management commands from cron (docs/deployment.md).
SETTLE_ABANDONED_DUELS_EVERY_S = env_int("SETTLE_ABANDONED_DUELS_EVERY_S", 300)
if not 1 <= SETTLE_ABANDONED_DUELS_EVERY_S <= 86400:  # a huge one would overflow the float beat reads
    raise ImproperlyConfigured(f"SETTLE_ABANDONED_DUELS_EVERY_S={SETTLE_ABANDONED_DUELS_EVERY_S}: seconds, from 1 to 86400 (a day)")
CELERY_BEAT_SCHEDULE = {
    "settle-abandoned-duels": {
        "task": "geoguess.game.tasks.settle_abandoned_duels",
        "schedule": float(SETTLE_ABANDONED_DUELS_EVERY_S),
        # A run not taken before the next is due is dropped: runs do not pile up behind a busy worker.
        "options": {"expires": float(SETTLE_ABANDONED_DUELS_EVERY_S)},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 0) or None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died unacknowledged goes back to the queue after this many seconds
# (Redis transport). Longer than any batch takes; tests shorten it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
# A running training run whose worker has not written its heartbeat (every few seconds) for this
# long is marked failed: its worker died (training acknowledges its message at the start, so the
# broker never hands a run out again; see geoguess/opponent/training_runs.py).
TRAINING_STALE_AFTER_S = env_int("TRAINING_STALE_AFTER_S", 300)

# Channels: the layer through which a party's changes reach its connections, on every ASGI server, and
# Celery workers push worldNET's lock-ins (docs/parties.md). Redis (channels-redis): CHANNEL_LAYER_URL,
# by default the Celery broker's Redis. "memory://" keeps it in one process: only for a single server
# with no worker (``manage.py play`` switches to it by itself when no Redis can be had, and says so).
# With neither set to a Redis (a broker of another kind), the layer is in memory: set CHANNEL_LAYER_URL
# for more than one process.
CHANNEL_LAYER_URL = env_str("CHANNEL_LAYER_URL", "") or (
    CELERY_BROKER_URL if urlparse(CELERY_BROKER_URL).scheme in ("redis", "rediss") else "memory://"
)


#: The channel layer's Redis reads time out after this long (longer than channels-redis's 5 s blocking receive).
CHANNEL_LAYER_SOCKET_TIMEOUT_S = 30
#: Redis connections a server's channel layer may open at once. redis-py's pool refuses the 101st by default (it does not
#: wait): 100 players connecting to one server at once then lost some connections (1011). Redis serves 10,000 clients.
CHANNEL_LAYER_MAX_CONNECTIONS = env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 1000)


def channel_layers(url: str) -> dict[str, dict[str, object]]:
    """``CHANNEL_LAYERS`` for a layer URL: redis://, rediss:// or unix:// (channels-redis), or memory://."""
    scheme = urlparse(url).scheme
    if scheme == "memory":
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    if scheme in ("redis", "rediss", "unix"):
        # redis-py 8 reads with a 5 s socket timeout by default: channels-redis's blocking receive (BZPOPMIN for
        # up to RedisChannelLayer.brpop_timeout, 5 s) then fails on any connection idle for 5 s, and Daphne closes
        # it (1011). Reads wait longer than the blocking pop; a Redis gone silent still fails them (channels_redis#422).
        host = {"address": url, "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT_S, "max_connections": CHANNEL_LAYER_MAX_CONNECTIONS}
        return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}}
    raise ImproperlyConfigured(
        f"CHANNEL_LAYER_URL={url!r}: set it to the Redis that the web servers and workers share "
        "(redis://host:6379/0), or memory:// for one process alone"
    )


CHANNEL_LAYERS = channel_layers(CHANNEL_LAYER_URL)
