"""The ASGI application: Django's views over HTTP, and the parties' WebSockets (Channels).

``daphne`` first in ``INSTALLED_APPS`` makes ``manage.py runserver`` (and so ``manage.py play``) serve
this; a deployment runs ``daphne geoguess.asgi:application`` (docs/parties.md). WebSockets are accepted
only from the site's own hosts (``ALLOWED_HOSTS``, checked against the Origin header), with the
player's session, which holds their party memberships.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoguess.settings")
# Django first: it sets up the apps that the routes' modules import.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from geoguess.party.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
