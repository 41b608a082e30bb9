"""Parties in real browsers: whole games with several Chromium contexts (each its own session) on one site.

Playwright drives Debian's chromium against a site of real parts (``server`` below): Daphne (``runserver``
with Channels), a real redis-server as the channel layer and Celery's broker, and a real Celery worker of the
``party`` queue, which locks worldNET in and pushes it to the room through the channel layer. Each mode is
played to its end through the pages alone:
the host creates the party from its form, the others join by its link (or its code), the host starts, every
player drops a pin and guesses, the host skips the reveals, the final standings come, and play again starts
the next game. worldNET sits at the table in party classic and battle royale; the duel is two players.

Where a pin goes is chosen by the test to make each game short and decided: a "scout" guesses first at a
fixed place; the test reads the round's answer from the site's database (no page has it before the round's
end) and puts another player's pin right on it, and another's on the far side of the world. Until the round
ends a page must show no answer and no other pin (only *that* others guessed), after the player's own guess
too (their own pin only, and that they wait for the others). After each round the reveal
must fit every pin (each player's, worldNET's and its candidates) inside the map, clear of its legend, the
answer on top: the checks of the game's reveal (``assert_reveal_fits``). One player leaves mid-game (battle
royale); one plays on a phone (party classic). Screenshots: ``var/screenshots/party-*.png`` (or
``SCREENSHOT_DIR``); with ``README_SCREENSHOTS=1`` the README's ``static/img/screenshots/party.jpg`` and
``party-lobby.jpg`` too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PIL import Image

from tests.support.browser import README_SHOTS, SCREENSHOTS, assert_reveal_fits, new_page, settle
from tests.support.images import small_world
from tests.support.processes import REGISTER, manage, redis_server, start_site, start_worker, stop

pytestmark = pytest.mark.slow

#: Where the scout guesses: Paris (the small world's places are London, Paris, Madrid and Osaka).
SCOUT = (48.86, 2.35)
#: Farther from every place of the small world (over 11,000 km) than any two of them are from each other
#: (London to Osaka: 9,500 km), so farther than any guess of worldNET's, which names one of them: the Southern Ocean.
FAR = (-60.0, -60.0)
HOSTILE_NAME = "Cleo <i>x</i>"


#: The site's environment (its database): the test reads each round's answer there (``round_truth``).
SITE_ENV: dict[str, str] = {}


def round_truth(code: str, game: int, index: int) -> tuple[float, float]:
    """The answer of a party's round, from the site's database: no page holds it before the round's end."""
    script = (
        "from geoguess.party.models import PartyRound as R; "
        f"p = R.objects.select_related('photo').get(party__code={code!r}, game_number={game}, index={index}).photo; "
        "print(p.lat, p.lon)"
    )
    lat, lon = manage(SITE_ENV, "shell", "-v", "0", "-c", script).split()[-2:]
    return float(lat), float(lon)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The site on a real Redis (channel layer and broker) with a real worker of the party queue.

    The set-up commands run Celery eager, so the tiny worldNET's predictions are stored before the site
    starts; the site and the worker then queue through Redis, as deployed.
    """
    tmp = tmp_path_factory.mktemp("party-site")
    with redis_server(tmp) as redis_url:
        env = {
            **os.environ,
            "GEOGUESS_VAR_DIR": str(tmp / "var"),
            "DJANGO_SETTINGS_MODULE": "geoguess.settings",
            "CELERY_BROKER_URL": redis_url,
            "CHANNEL_LAYER_URL": redis_url,
        }
        SITE_ENV.clear()
        SITE_ENV.update(env)
        setup = {**env, "CELERY_TASK_ALWAYS_EAGER": "1"}
        manage(setup, "migrate", "-v", "0")
        manage(setup, "import_imageset", str(small_world(tmp / "world", per_city=3)), "--name", "Small world")
        manage(setup, "shell", "-v", "0", "-c", REGISTER.replace("{tmp}", str(tmp)))
        worker = start_worker(redis_url, queues="party,inference,celery", env=env, log=tmp / "worker.log")
        process, url = start_site(env)
        try:
            yield url
        finally:
            stop(process)
            stop(worker)


@dataclass
class Player:
    name: str
    page: object
    errors: list[str]
    #: "scout" (at SCOUT), "far" (at FAR), "truth" (on the answer, once someone has guessed; else at SCOUT).
    #: Those not aiming at the answer guess first.
    aim: str
    playing: bool = True
    shots: list[str] = field(default_factory=list)


#: The pages a test opened: each its own browser context (a player's session), closed after the test.
OPENED: list = []


@pytest.fixture(autouse=True)
def _close_pages():
    yield
    while OPENED:
        OPENED.pop().context.close()


def open_page(browser, width: int, height: int):
    page, errors = new_page(browser, width, height)
    OPENED.append(page)
    return page, errors


def state(page) -> dict:
    return page.evaluate("() => GeoParty.state()")


def wait_state(page, condition: str, arg=None, timeout: float = 20_000) -> dict:
    """Waits until the page's last state frame meets ``condition`` (JS over ``s``, and ``arg``); returns the state."""
    page.wait_for_function(
        f"(arg) => {{ const s = window.GeoParty && GeoParty.state(); return Boolean(s) && ({condition}); }}", arg=arg, timeout=timeout
    )
    return state(page)


def create_party(browser, server: str, *, mode: str, worldnet: bool, host: str, rounds: int = 3) -> tuple[Player, str]:
    page, errors = open_page(browser, 1366, 768)
    page.goto(server + "/")
    page.click("#play-with-friends")
    page.locator(".mode-card", has=page.locator(f"input[value={mode}]")).click()
    if mode == "classic":
        page.select_option("select[name=rounds]", str(rounds))
    page.select_option("select[name=time_limit]", "30")
    page.set_checked("#worldnet-in", worldnet)
    page.fill("input[name=player_name]", host)
    page.click("button[type=submit]")
    s = wait_state(page, "s.party.phase === 'lobby'")
    assert s["party"]["mode"] == mode and s["party"]["worldnet_in"] == worldnet
    code = page.locator(".big-code").inner_text()
    assert page.locator("#party-link").input_value().endswith(f"/party/{code}/")
    return Player(host, page, errors, aim="scout"), code


def join_party(browser, server: str, code: str, name: str, *, by_code: bool = False, size=(1366, 768)) -> Player:
    page, errors = open_page(browser, *size)
    if by_code:  # the home page's small form: the name typed above, the code below
        page.goto(server + "/")
        page.fill("input[name=player_name]", name)
        page.fill("input[name=code]", code.lower())
        page.click("form.join-code button[type=submit]")
    else:
        page.goto(f"{server}/party/{code}/")
        page.fill("input[name=player_name]", name)
        page.click("button[type=submit]")
    wait_state(page, "s.party.phase === 'lobby' || s.party.phase === 'finished'")
    return Player(name, page, errors, aim="truth")


#: Why a pin could not be placed (the round over, already guessed): the state and the round's times from its start.
WHY_NO_PIN = """() => {
  const s = GeoParty.state(), r = s.round, now = Date.now() + GeoParty.offset();
  return [s.you, s.party.phase, r.index, now - r.started_at, r.deadline - r.started_at, r.countdown_until - r.started_at,
          s.members.map((m) => [m.name, m.guessed])];
}"""


def pin_at(page, lat: float, lon: float) -> None:
    """The pin exactly at (lat, lon): the map centred there, then Space (the keyboard's way to drop the pin)."""
    # A block body: the arrow's value would be the Leaflet map, which Playwright would copy back whole (5 s a call).
    page.evaluate("([lat, lon]) => { GeoRound.map.setView([lat, lon], GeoRound.map.getZoom(), { animate: false }); }", [lat, lon])
    page.focus("#map")
    page.keyboard.press(" ")
    assert page.locator("#guess").is_enabled(), page.evaluate(WHY_NO_PIN)


def assert_nothing_shown_before_the_end(player: Player, where: str, *, guessed: bool = False) -> None:
    """Before the round's end the page shows no answer, no other pin, nothing of worldNET's: before the player's
    guess and after it (``guessed``: then their own pin only, and that they wait for the others)."""
    s = state(player.page)
    if s["round"]["ended"]:  # the player's guess was the last one due: it ended the round
        return
    assert s["reveal"] is None and (s["your_guess"] is not None) == guessed, where
    if guessed:
        assert s["your_guess"]["distance_km"] is None and s["your_guess"]["points"] is None, where
    counts = player.page.evaluate(
        "() => ['truth', 'other', 'worldnet'].map((k) => document.querySelectorAll('#map path.pin-' + k).length)"
        " .concat([document.querySelectorAll('#map .candidate-circle').length])"
    )
    assert counts == [0, 0, 0, 0], f"{where}: pins before the round's end {counts}"
    assert player.page.locator("#reveal").is_hidden(), where
    if guessed:
        assert player.page.locator("#reveal-wait").is_visible(), where


def guess(player: Player, lat: float, lon: float, where: str) -> dict:
    page = player.page
    pin_at(page, lat, lon)
    if player.shots == ["round"]:
        page.screenshot(path=str(SCREENSHOTS / f"party-{where.split()[0]}-round.png"))
        player.shots.append("done")
    page.click("#guess")
    return wait_state(page, "s.your_guess !== null")


def play_round(players: list[Player], host: Player, game: int, index: int, label: str, *, worldnet: bool) -> dict:
    """One round: everyone in it guesses (the scout first); the reveal is checked on every page; returns the host's state."""
    active = [p for p in players if p.playing]
    for p in active:
        wait_state(p.page, "s.party.game_number === arg[0] && s.round && s.round.index === arg[1]", [game, index])
    in_it = [p for p in active if state(p.page)["round"]["in_it"]]
    for p in in_it:
        p.page.wait_for_selector("#viewer.ready")
        assert_nothing_shown_before_the_end(p, f"{label} round {index + 1}: {p.name}")
    code = state(host.page)["party"]["code"]
    truth = round_truth(code, game, index) if any(p.aim == "truth" for p in in_it) else None
    first = True
    for p in sorted(in_it, key=lambda p: p.aim == "truth"):
        if not first:
            others = wait_state(p.page, "s.members.filter((m) => m.guessed).length >= 1")
            assert others["reveal"] is None  # only *that* someone guessed
            assert p.page.locator("#table .member.guessed").count() >= 1
        first = False
        target = FAR if p.aim == "far" else truth if p.aim == "truth" and truth is not None else SCOUT
        guess(p, *target, f"{label} round {index + 1}")
        # After the player's own guess, until the round ends: their own pin only, no answer, no one else's.
        assert_nothing_shown_before_the_end(p, f"{label} round {index + 1}: {p.name} after their guess", guessed=True)
    ended = wait_state(host.page, "s.round.index === arg && s.round.ended", index)
    for p in active:
        s = wait_state(p.page, "s.round.index === arg && s.round.ended && s.reveal !== null", index)
        pins = [g for g in s["reveal"]["guesses"] if g["lat"] is not None]
        humans = [g for g in pins if not next(m for m in s["members"] if m["id"] == g["member"])["worldnet"]]
        need = ("truth", "worldnet") if worldnet else ("truth",)
        if worldnet:
            assert s["reveal"]["worldnet"] is not None and s["reveal"]["worldnet"]["candidates"]
        fit = assert_reveal_fits(p.page, f"{label} round {index + 1} on {p.name}'s page", need=need)
        if p.page.viewport_size["width"] <= 800:  # a phone is brought to the map, whole on its screen, as a game's reveal is
            assert fit["box"]["top"] >= -1 and fit["box"]["bottom"] <= p.page.viewport_size["height"] + 1, (label, fit["box"])
        mine = sum(1 for g in humans if g["member"] == s["you"])
        assert len(fit["pins"]["player"]) == mine and len(fit["pins"]["other"]) == len(humans) - mine, (label, fit["pins"])
        assert p.page.locator("#results tr").count() == len(s["reveal"]["guesses"])
        # Nothing wider than the screen, a phone's header with its "next in N s" included (it ran 4 px over at 390).
        assert p.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), f"{label}: {p.name}'s page"
    return ended


def next_round(host: Player) -> None:
    if state(host.page)["party"]["phase"] == "reveal":
        host.page.click("#next")


def play_game(players: list[Player], host: Player, game: int, label: str, *, worldnet: bool, leave: tuple[int, Player] | None = None):
    """Rounds until the standings; ``leave``: (round index, player) who leaves in that round before guessing."""
    for index in range(12):
        if leave and leave[0] == index:
            quitter = leave[1]
            wait_state(quitter.page, "s.round && s.round.index === arg", index)
            quitter.page.click("#leave")
            quitter.page.click("#leave")  # the second click leaves
            quitter.page.wait_for_url(lambda url: url.rstrip("/").count("/") == 2, timeout=10_000)  # back home
            quitter.playing = False
            gone = wait_state(host.page, "s.members.some((m) => m.name === arg && !m.present)", quitter.name)
            assert next(m for m in gone["members"] if m["name"] == quitter.name)["out"]
        s = play_round(players, host, game, index, label, worldnet=worldnet)
        if index == 0:
            for p in (p for p in players if p.playing):
                settle(p.page)
                p.page.screenshot(path=str(SCREENSHOTS / f"party-{label}-reveal-{p.name.split()[0].lower()}.png"))
        if s["party"]["phase"] == "finished":
            return s
        next_round(host)
    raise AssertionError(f"{label}: no end after 12 rounds")


def assert_standings(players: list[Player], label: str) -> dict:
    final = None
    for p in (p for p in players if p.playing):
        s = wait_state(p.page, "s.party.phase === 'finished' && s.standings !== null")
        p.page.wait_for_selector("#standings:not([hidden])")
        rows = p.page.locator("#standing-rows tr")
        assert rows.count() == len(s["standings"]) and rows.count() >= 2
        assert p.page.locator("#verdict").inner_text()
        assert p.page.locator("#again").is_visible() == next(m for m in s["members"] if m["id"] == s["you"])["host"]
        final = s
    return final


def no_page_errors(players: list[Player]) -> None:
    for p in players:
        assert not p.errors, f"{p.name}: {p.errors}"


def test_party_classic_with_worldnet_three_players_one_on_a_phone(server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    host, code = create_party(browser, server, mode="classic", worldnet=True, host="Ada")
    ben = join_party(browser, server, code, "Ben", by_code=True)
    cleo = join_party(browser, server, code, HOSTILE_NAME, size=(390, 844))
    cleo.aim = "far"
    players = [host, ben, cleo]
    lobby = wait_state(host.page, "s.members.filter((m) => m.connected).length === 4")
    assert [m["name"] for m in lobby["members"]] == ["Ada", "worldNET", "Ben", HOSTILE_NAME]
    # Names are text: the hostile one shows as typed, and makes no element.
    assert host.page.locator("#lobby-members .member .name", has_text=HOSTILE_NAME).count() == 1
    assert host.page.locator("#lobby-members i").count() == 0
    assert ben.page.locator("#waiting").is_visible() and ben.page.locator("#start").is_hidden()
    assert cleo.page.locator("#waiting").is_visible()  # on the phone too (a rule hid every hint under 800 px)
    assert host.page.locator("#lobby-members .remove").count() == 2  # Ben and Cleo, not the host, not worldNET
    host.page.screenshot(path=str(SCREENSHOTS / "party-lobby.png"))
    host.shots.append("round")
    host.page.click("#start")
    final = play_game(players, host, 1, "classic", worldnet=True)
    assert final["party"]["ended_by"] == "rounds_played" and final["round"]["number"] == 3
    standings = assert_standings(players, "classic")
    by_member = {m["id"]: m for m in standings["members"]}
    points = [s["total_points"] for s in standings["standings"]]
    assert points == sorted(points, reverse=True) and len(points) == 4
    assert by_member[standings["standings"][0]["member"]]["name"] == "Ben"  # always on the answer: 5,000 a round
    host.page.screenshot(path=str(SCREENSHOTS / "party-standings.png"), full_page=True)
    cleo.page.screenshot(path=str(SCREENSHOTS / "party-phone-standings.png"), full_page=True)
    if os.environ.get("README_SCREENSHOTS"):
        for shot, name in (("party-classic-reveal-ada.png", "party.jpg"), ("party-lobby.png", "party-lobby.jpg")):
            Image.open(SCREENSHOTS / shot).convert("RGB").save(README_SHOTS / name, "JPEG", quality=80, optimize=True)
    # Play again: the same party, a new game with everyone still there.
    host.page.click("#again")
    again = wait_state(ben.page, "s.party.game_number === 2 && s.party.phase === 'round'")
    assert again["round"]["index"] == 0 and again["your_guess"] is None and again["reveal"] is None
    no_page_errors(players)
    print(f"party classic: {time.monotonic() - began:.1f} s")


def test_battle_royale_with_worldnet_and_a_player_who_leaves(server, browser):
    """Ben leaves in the second round; Ada and Cleo guess the same far place every round: the farthest, tied, each
    loses a life a round, and both are out after the third, together: worldNET is the last one standing."""
    began = time.monotonic()
    host, code = create_party(browser, server, mode="battle_royale", worldnet=True, host="Ada")
    host.aim = "far"
    ben = join_party(browser, server, code, "Ben")
    ben.aim = "scout"
    cleo = join_party(browser, server, code, "Cleo")
    cleo.aim = "far"
    players = [host, cleo, ben]
    wait_state(host.page, "s.members.filter((m) => m.connected).length === 4")
    host.page.click("#start")
    wait_state(cleo.page, "s.party.phase === 'round'")
    assert cleo.page.locator("#table .stat.lives").first.inner_text() == "♥♥♥"
    final = play_game(players, host, 1, "royale", worldnet=True, leave=(1, ben))
    assert final["party"]["ended_by"] == "last_standing" and final["round"]["number"] == 3, final["party"]
    standings = assert_standings([host, cleo], "royale")
    names = {m["id"]: m["name"] for m in standings["members"]}
    rows = {names[s["member"]]: s for s in standings["standings"]}
    assert rows["worldNET"]["place"] == 1 and rows["worldNET"]["out_at_round"] is None
    # Out together, with the same distances: they share second place; Ben, out first, is last.
    assert rows["Ada"]["place"] == rows["Cleo"]["place"] == 2 and rows["Ada"]["out_at_round"] == rows["Cleo"]["out_at_round"] == 2
    assert rows["Ben"]["place"] == 4 and rows["Ben"]["out_at_round"] == 1
    assert host.page.locator("#verdict").inner_text() == "worldNET wins"
    assert host.page.locator("#table .member", has_text="Ben").locator(".badge.gone").count() == 1
    host.page.screenshot(path=str(SCREENSHOTS / "party-royale-standings.png"), full_page=True)
    no_page_errors(players)
    print(f"battle royale: {time.monotonic() - began:.1f} s")


def test_a_duel_between_two_players(server, browser):
    began = time.monotonic()
    host, code = create_party(browser, server, mode="duel", worldnet=False, host="Ada")
    host.aim = "truth"
    ben = join_party(browser, server, code, "Ben")
    ben.aim = "far"  # no points a round; Ada on the answer: 5,000 damage a round
    players = [host, ben]
    wait_state(host.page, "s.members.filter((m) => m.connected).length === 2")
    host.page.click("#start")
    wait_state(ben.page, "s.party.phase === 'round'")
    assert ben.page.locator("#duel-health .side").count() == 2
    # A dropped connection comes back by itself, and a reload finds the round where it stands.
    ben.page.evaluate("() => GeoParty.drop()")
    ben.page.wait_for_selector("#connection:not([hidden])")
    wait_state(ben.page, "s.party.phase === 'round'")
    ben.page.wait_for_selector("#connection", state="hidden")
    host.page.reload()
    back = wait_state(host.page, "s.party.phase === 'round' && s.round.index === 0")
    assert back["your_guess"] is None and back["reveal"] is None
    final = play_game(players, host, 1, "duel", worldnet=False)
    assert final["party"]["ended_by"] == "knockout", final["party"]
    standings = assert_standings(players, "duel")
    names = {m["id"]: m["name"] for m in standings["members"]}
    winner, loser = standings["standings"]
    assert names[winner["member"]] == "Ada" and loser["health"] == 0
    assert host.page.locator("#verdict").inner_text() == "You win!"
    assert ben.page.locator("#verdict").inner_text() == "Ada wins"
    host.page.screenshot(path=str(SCREENSHOTS / "party-duel-standings.png"), full_page=True)
    no_page_errors(players)
    print(f"duel: {time.monotonic() - began:.1f} s")


def test_removing_a_player_takes_two_clicks(server, browser):
    """One click on a player's × only asks ("Remove?", for a few seconds, through the state frames that draw the lists
    again); the second removes them, and they are told. One click used to remove a friend mid-game at once."""
    host, code = create_party(browser, server, mode="classic", worldnet=False, host="Ada")
    ben = join_party(browser, server, code, "Ben")
    wait_state(host.page, "s.members.filter((m) => m.connected).length === 2")
    host.page.evaluate("() => GeoParty.confirmFor(120)")  # the steps below may take a loaded machine more than 6 s
    remove = host.page.locator("#lobby-members .remove")
    remove.click()
    assert remove.inner_text() == "Remove?" and remove.get_attribute("aria-label") == "Click again to remove Ben"
    host.page.evaluate("() => { document.querySelector('#lobby-members .remove').dataset.old = 'yes'; }")
    ben.page.evaluate("() => GeoParty.drop()")  # Ben's connection drops and comes back: state frames draw the lists again
    host.page.wait_for_function("() => !document.querySelector('#lobby-members .remove').dataset.old")  # a new button
    wait_state(host.page, "s.members.filter((m) => m.connected).length === 2")
    assert [m["name"] for m in state(host.page)["members"] if m["present"]] == ["Ada", "Ben"]  # asked, not removed
    assert host.page.locator("#lobby-members .remove").inner_text() == "Remove?"  # the question stays
    host.page.locator("#lobby-members .remove").click()
    wait_state(host.page, "!s.members.some((m) => m.name === 'Ben' && m.present)")
    ben.page.wait_for_function("() => document.body.innerText.includes('The host removed you from this party.')")
    # Unanswered, the question goes away by itself.
    cy = join_party(browser, server, code, "Cy")
    wait_state(host.page, "s.members.filter((m) => m.connected && m.present).length === 2")
    host.page.evaluate("() => GeoParty.confirmFor(1)")
    again = host.page.locator("#lobby-members .remove")
    asked = host.page.evaluate("() => { const b = document.querySelector('#lobby-members .remove'); b.click(); return b.textContent; }")
    assert asked == "Remove?"  # read in the click's own task: no time for the question to end first
    host.page.wait_for_function("() => document.querySelector('#lobby-members .remove').textContent === 'Remove'")
    assert again.get_attribute("aria-label") == "Remove Cy"
    assert any(m["name"] == "Cy" and m["present"] for m in state(host.page)["members"])
    no_page_errors([host, cy])
