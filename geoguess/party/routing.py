"""The party's WebSocket routes (``geoguess.asgi`` serves them)."""

from django.urls import re_path

from geoguess.party.consumers import PartyConsumer

websocket_urlpatterns = [
    # A join code's alphabet (``models.CODE_ALPHABET``), any case: the consumer finds the member or closes.
    re_path(r"^ws/party/(?P<code>[A-Za-z0-9]{1,12})/$", PartyConsumer.as_asgi()),
]
