"""The numbers a player reads come from ``geoguess/rules.py``: change a rule there and the pages follow;
no template or script restates one."""

from __future__ import annotations

import re

import pytest

from geoguess import rules
from tests.support.processes import REPO

PAGES = sorted((REPO / "templates" / "game").glob("*.html")) + sorted((REPO / "static" / "js").glob("*.js"))


def test_the_home_page_states_the_rules_it_is_given(client, image_set, monkeypatch):
    monkeypatch.setattr(rules, "START_HEALTH", 7000)
    monkeypatch.setattr(rules, "COUNTDOWN_SECONDS", 12)
    monkeypatch.setattr(rules, "PLAYER_NAME_MAX_LENGTH", 33)
    monkeypatch.setattr(rules, "TIME_LIMITS", (0, 45))
    page = client.get("/").content.decode()
    assert "7,000 health each" in page and "you have 12 seconds" in page
    assert 'maxlength="33"' in page and '<option value="45">45 s</option>' in page
    assert '"startHealth": 7000' in page  # the scripts get the same numbers


@pytest.mark.parametrize(
    "number", [rules.START_HEALTH, rules.MAX_POINTS, int(rules.COHERENCE_KM), rules.PLAYER_NAME_MAX_LENGTH, rules.ROUNDS_PER_GAME]
)
def test_no_page_or_script_restates_a_rule(number):
    """(5 and 40 would match unrelated numbers: the rules' bigger figures, and a rule's number beside its words, are looked for.)"""
    pattern = re.compile(rf"(?<![\w.#-]){number:,}(?![\w.%])|(?<![\w.#-]){number}(?![\w.%])")
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        if number >= 1000:
            assert not pattern.search(text), f"{path.name} restates {number}"
        else:
            assert not re.search(rf"\b{number} (rounds|characters)\b|(Five|five) (rounds|places)", text), f"{path.name} restates {number}"
