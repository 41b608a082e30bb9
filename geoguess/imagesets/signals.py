"""What the image sets app tells the apps built on it, without knowing them (``geoguess.opponent``
connects its receivers in ``OpponentConfig.ready()``: worldNET's predictions follow the photos).

- ``photos_added`` (``image_set_id``): an image set's photos were saved. Sent once the import has
  committed (and again when an import job finds the set that its dead worker saved).
- ``photo_moved`` (``photo_id``): an admin corrected where a photo was taken. Sent inside the
  transaction that moves it, so that what a receiver writes commits or rolls back with the move.
"""

from __future__ import annotations

from django.dispatch import Signal

photos_added = Signal()
photo_moved = Signal()
