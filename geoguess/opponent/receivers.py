"""What the opponent does when the image sets app says its photos changed (connected in ``OpponentConfig.ready()``)."""

from __future__ import annotations

from geoguess.opponent.services import prediction_redo, predictions_queue_for_image_set


def predict_added_photos(sender: object, *, image_set_id: int, **kwargs: object) -> None:
    """``photos_added``: worldNET's guesses for a new set are ready before its first game."""
    predictions_queue_for_image_set(image_set_id=image_set_id)


def predict_moved_photo(sender: object, *, photo_id: int, **kwargs: object) -> None:
    """``photo_moved``: the active version guesses the corrected photo again."""
    prediction_redo(photo_id=photo_id)
