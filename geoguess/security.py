"""Security headers for every response, and the secret key of the embedded default.

Names, places and countries come from uploaded data: the pages treat them as text
(autoescaped templates, ``textContent`` in the JS). The Content-Security-Policy here
backs that up: the game's pages run only the site's own script files, so even a name
that slipped into the DOM as HTML could not run an inline handler or script.

Django 5.2 has no Content-Security-Policy of its own (6.0 adds one); the policy is a
fixed string per kind of page plus a nonce for the one generated page that needs
inline script (the admin's folium map), which a small middleware covers without
another dependency.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

# The key of a development checkout: only ever used with DEBUG on (settings refuse it otherwise).
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-for-any-deployment"

# Browser features the game never uses: off for this site and anything it frames.
# Only names Chromium recognises (an unknown one is logged as a console error).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "usb",
        "xr-spatial-tracking",
    )
)


def _policy(directives: dict[str, Iterable[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def tile_source(tile_url: str) -> str | None:
    """The CSP source that admits a Leaflet tile URL template, or None without one.

    >>> tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    'https://*.tile.openstreetmap.org'
    >>> tile_source("https://tiles.example.org:8443/{z}/{x}/{y}.png")
    'https://tiles.example.org:8443'
    >>> tile_source("/tiles/{z}/{x}/{y}.png") is None  # on this site: 'self' covers it
    True
    """
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    # Leaflet's `{s}` subdomain placeholder becomes CSP's leftmost-label wildcard.
    if labels[0].startswith("{") and labels[0].endswith("}"):
        labels[0] = "*"
    host = ".".join(labels)
    if "{" in host or "}" in host:
        return f"{parts.scheme}:"  # a placeholder CSP cannot express: admit the scheme
    return f"{parts.scheme}://{host}"


def site_policy(*, tile_url: str = "") -> str:
    """The policy of every page but the admin's map: scripts and styles from this site's files only.

    No 'unsafe-inline' for styles either: Leaflet positions and sizes its elements
    through the CSSOM (``element.style.x = ...``), which CSP does not govern, and the
    templates carry no ``style`` attributes or ``<style>`` elements.
    """
    images = ["'self'", "data:"]  # data: for Leaflet's CSS sprites and the admin's inline previews
    if source := tile_source(tile_url):
        images.append(source)
    return _policy(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "img-src": images,
            "connect-src": ["'self'"],  # world.geojson, guesses and reveals
            "font-src": ["'self'"],
            "frame-src": ["'self'"],  # the admin's coverage map
            "object-src": ["'none'"],
            "base-uri": ["'none'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    )


def admin_policy(*, tile_url: str = "") -> str:
    """The site's policy plus ``style`` attributes, which Django admin pages and their previews use.

    Scripts stay as strict as on the game's pages. A style attribute styles only its own
    element (no selectors, so no CSS-selector tricks) and cannot run script; ``<style>``
    elements stay blocked.
    """
    return site_policy(tile_url=tile_url) + "; style-src-attr 'unsafe-inline'"


def map_document_policy(nonce: str) -> str:
    """A generated folium map: its own inline scripts and styles by nonce, in a sandbox.

    ``sandbox allow-scripts`` gives the map an opaque origin, so even a script that
    should not be there could not read or act on the admin's session; ``frame-ancestors
    'self'`` lets only this site's admin frame it.
    """
    return _policy(
        {
            "default-src": ["'none'"],
            "script-src": ["'self'", f"'nonce-{nonce}'"],
            "style-src": ["'self'", f"'nonce-{nonce}'"],
            "img-src": ["'self'", "data:"],
            "font-src": ["'self'"],
            "base-uri": ["'none'"],
            "form-action": ["'none'"],
            "frame-ancestors": ["'self'"],
            "sandbox": ["allow-scripts"],
        }
    )


_INLINE_ELEMENT = re.compile(r"<(script|style)(?=[\s>])", re.IGNORECASE)


def map_document_response(html: str) -> HttpResponse:
    """Serve a folium map document with a fresh nonce on its inline ``<script>`` and ``<style>`` elements.

    Only safe because nothing taken from data reaches the document as markup:
    ``worldnet_core.maps`` escapes any text it puts into a map. The nonce then keeps
    inline event handlers (``onerror=``...) from running even if markup slipped in.
    """
    nonce = secrets.token_urlsafe(18)
    body = _INLINE_ELEMENT.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', html)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = map_document_policy(nonce)
    response["Cache-Control"] = "private, no-store"
    response["X-Frame-Options"] = "SAMEORIGIN"  # framed by this site's admin only (XFrameOptionsMiddleware keeps it)
    return response


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy and Permissions-Policy to every response.

    A view that sets its own Content-Security-Policy (the admin's map) keeps it.
    Django's SecurityMiddleware already sends X-Content-Type-Options, Referrer-Policy
    and Cross-Origin-Opener-Policy; XFrameOptionsMiddleware sends X-Frame-Options.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.site = site_policy(tile_url=settings.MAP_TILE_URL)
        self.admin = admin_policy(tile_url=settings.MAP_TILE_URL)
        self.admin_prefix = ""  # found on the first request, once the URLconf is loaded

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code >= 400:
            # Django's technical 404 and 500 pages (DEBUG only) are styled and scripted inline.
            response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
            return response
        if "Content-Security-Policy" not in response:
            if not self.admin_prefix:
                self.admin_prefix = reverse("admin:index")
            response["Content-Security-Policy"] = self.admin if request.path.startswith(self.admin_prefix) else self.site
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# --- the secret key ---------------------------------------------------------------------------


def running_play_command(argv: list[str] | None = None) -> bool:
    """Whether this process is ``manage.py play`` (``make play``).

    Settings load before any command runs, so the one command that may create the
    checkout's key is recognised by its command line.
    """
    argv = sys.argv if argv is None else argv
    return len(argv) > 1 and Path(argv[0]).name == "manage.py" and argv[1] == "play"


def local_secret_key(path: Path, *, create: bool) -> str | None:
    """The key kept in ``path``; with ``create``, a new random one written there first if missing.

    Written whole to a private temporary file (mode 0600: other users of the machine
    cannot read it) and linked into place, which fails if the file exists: two
    processes starting together end up with the same key, and none reads half a file.
    """
    if not path.is_file() and create:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mkstemp: mode 0600
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(50) + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race; read its key below
        except OSError:  # a file system without hard links: exclusive creation is atomic too
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(Path(temporary).read_text())
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    if path.is_file():
        key = path.read_text().strip()
        return key or None
    return None
