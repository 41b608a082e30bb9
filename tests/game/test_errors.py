"""Refusals carry a machine code, and the round page knows what to do with every one of them."""

from __future__ import annotations

import json
import re

from geoguess.game.errors import API_CODES, START_CODES, Code, GameError
from tests.support.games import guess, play_page, start_game
from tests.support.processes import REPO


def on_refusal_table() -> dict[str, str]:
    """round.js's ON_REFUSAL: code -> what the page does."""
    source = (REPO / "static" / "js" / "round.js").read_text()
    table = re.search(r"const ON_REFUSAL = \{(.*?)\n  \};", source, re.S)
    assert table, "round.js has no ON_REFUSAL table"
    body = re.sub(r"//[^\n]*", "", table.group(1))
    return dict(re.findall(r"(\w+): \"(\w+)\"", body))


def test_it_handles_every_code_the_game_can_send_and_no_other():
    table = on_refusal_table()
    assert set(table) == {code.value for code in API_CODES}
    assert set(Code) == API_CODES | START_CODES and not API_CODES & START_CODES
    assert set(table.values()) <= {"reveal", "reload", "show"}
    # The two refusals that end a round show its reveal; a page behind the game reloads where it stands.
    assert table["time_up"] == table["already_guessed"] == "reveal"
    assert table["out_of_order"] == "reload"


def test_an_error_is_a_code_and_a_message():
    problem = GameError(Code.TIME_UP, "time is up: this round scores 0", status=409)
    assert problem.as_json() == {"error": {"code": "time_up", "message": "time is up: this round scores 0"}}
    assert json.loads(json.dumps(problem.as_json()))["error"]["code"] == "time_up"


def test_the_api_answers_a_refusal_with_its_code(client, image_set):
    game = start_game(client, image_set)
    play_page(client, game)
    assert guess(client, game, 0, 1.0, 1.0).status_code == 200
    again = guess(client, game, 0, 1.0, 1.0)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_guessed"
    early = client.get(f"/game/{game.public_id}/round/1")
    assert early.status_code == 409 and early.json()["error"] == {
        "code": "answer_after_guess",
        "message": "the answer is shown after the guess",
    }
