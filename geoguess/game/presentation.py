"""What players see of a round after their guess, and of a finished game: the reveal's and the summary's data.

Read, never recomputed: distances, points, countries, worldNET's guess and a duel's damage were decided
and stored when each guess was scored (``engine``); this module only puts them in the shape pages use.
"""

from __future__ import annotations

from typing import Any

from geoguess import rules
from geoguess.game.errors import Code, GameError
from geoguess.game.models import DUEL, STREAK, Game, Round
from geoguess.game.modes import streak
from geoguess.game.selectors import game_end, health_after, played_rounds, round_count
from geoguess.imagesets.models import Photo
from worldnet_core.land import country_name


def round_reveal(*, round: Round) -> dict[str, Any]:
    """The truth, both guesses, distances, points and worldNET's candidates. Only after the guess.

    ``finished`` says whether the game ended with this round (the page then offers the summary).
    Countries are given twice: ``country`` as stored (a code on most image sets) and
    ``country_name``, the full English name players read. worldNET's side says where its pin fell
    (the country, and the candidate it lies near, if any) and where each of its candidates is, so
    the page can show what it believed next to what it guessed.
    """
    if not round.is_done:
        raise GameError(Code.ANSWER_AFTER_GUESS, "the answer is shown after the guess", status=409)
    game = round.game
    previous = health_after(game=game, index=round.index - 1) if game.mode == DUEL and round.index else None
    ended, ended_by = game_end(game)
    finished = ended and round.index == round_count(game) - 1
    return _reveal(round, finished=finished, ended_by=ended_by, health_before=rules.Health(*previous) if previous else rules.START)


def _reveal(round: Round, *, finished: bool, ended_by: str, health_before: rules.Health) -> dict[str, Any]:
    photo = round.photo
    reveal: dict[str, Any] = {
        "index": round.index,
        "truth": {  # the answer the round was scored against, kept with it
            "lat": round.truth_lat if round.truth_lat is not None else photo.lat,
            "lon": round.truth_lon if round.truth_lon is not None else photo.lon,
            "place": photo.place,
            "country": photo.country,
            "country_name": country_name(photo.country) if photo.country else "",
            # Who took the photo, under which licence, and where it comes from: after the guess only (a
            # credit can name the place). Text; ``source`` is an http(s) URL or "" (the import checks it).
            "credit": _credit(photo),
        },
        "player": None,
        "player_points": round.points or 0,
        "timed_out": round.timed_out,
        "worldnet": _worldnet(round),
        "finished": finished,
    }
    if round.guess_lat is not None:
        reveal["player"] = {
            "lat": round.guess_lat,
            "lon": round.guess_lon,
            "distance_km": round.distance_km,
            "country_name": country_name(round.guess_country) if round.guess_country else "",
        }
    if round.game.mode == DUEL:
        reveal["duel"] = _duel(round, finished=finished, ended_by=ended_by, before=health_before)
    elif round.game.mode == STREAK:
        reveal["streak"] = streak.round_streak(round, finished=finished, ended_by=ended_by)
    return reveal


def _credit(photo: Photo) -> dict[str, str] | None:
    """The photo's credit, or None when it has none; a source only as an http(s) link (the import checks it
    already: this keeps a page from ever linking anything else)."""
    source = photo.source if photo.source.lower().startswith(("http://", "https://")) else ""
    if not (photo.author or photo.licence or source):
        return None
    return {"author": photo.author, "licence": photo.licence, "source": source}


def _worldnet(round: Round) -> dict[str, Any] | None:
    if not round.worldnet_attached:
        return None
    return {
        "lat": round.worldnet_lat,
        "lon": round.worldnet_lon,
        "distance_km": round.worldnet_distance_km,
        "points": round.worldnet_points,
        "country_name": country_name(round.worldnet_country) if round.worldnet_country else "",
        "near": round.worldnet_near or None,
        "top": round.worldnet_candidates,
        "saw": round.worldnet_heatmap is not None,  # the page may then ask for the attention image
    }


def _duel(round: Round, *, finished: bool, ended_by: str, before: rules.Health) -> dict[str, Any]:
    """The round's duel as it was settled: both scores, the multiplier, the damage, health before and after."""
    number = round.index + 1
    after = rules.Health(round.player_health or 0, round.worldnet_health or 0)
    return {
        "round": number,
        "multiplier": rules.multiplier(number),
        "worldnet_points": round.worldnet_points,
        "start_health": rules.START_HEALTH,
        "damage": {"player": round.damage_to_player or 0, "worldnet": round.damage_to_worldnet or 0},
        "health_before": {"player": before.player, "worldnet": before.worldnet},
        "health": {"player": after.player, "worldnet": after.worldnet},
        "over": finished,
        "winner": after.winner if finished else None,
        # How it ended (rules.duel_end): a side with no health left, or no photo left for another round.
        "ended_by": (ended_by or None) if finished else None,
    }


#: The summary's headline by its verdict: who won, once every fact is in.
HEADLINES = {
    "player": "You beat worldNET!",
    "draw": "A draw with worldNET",
    "worldnet": "worldNET wins this one",
}
DUEL_HEADLINES = {**HEADLINES, "worldnet": "worldNET wins the duel"}


def game_summary(*, game: Game) -> dict[str, Any]:
    """Every guessed round's reveal, both totals, the verdict, and for a duel the health over the rounds.

    No verdict before worldNET has guessed every round (``verdict`` and ``headline`` None, ``waiting``
    the rounds it has still to play): a classic round waits for worldNET's guess, a duel's is settled
    (0 without one) with the player's.
    """
    rounds = played_rounds(game)
    finished = game.finished_at is not None
    reveals, health = [], rules.START
    for number, round in enumerate(rounds, start=1):
        reveals.append(_reveal(round, finished=finished and number == len(rounds), ended_by=game.ended_by, health_before=health))
        if game.mode == DUEL:
            health = rules.Health(round.player_health or 0, round.worldnet_health or 0)
    total, worldnet_total = sum(r.points or 0 for r in rounds), sum(r.worldnet_points or 0 for r in rounds)
    waiting = sum(r.worldnet_points is None for r in rounds)
    summary: dict[str, Any] = {
        "player": game.player_name,
        "total": total,
        "worldnet_total": worldnet_total,
        "worldnet_complete": waiting == 0,
        "waiting": waiting,
        "rounds": reveals,
        "finished": finished,
        "verdict": None,
        "headline": None,
    }
    if game.mode == DUEL:
        states = [rules.START] + [rules.Health(r.player_health or 0, r.worldnet_health or 0) for r in rounds]
        final = states[-1]
        summary["duel"] = {
            "health": [{"player": h.player, "worldnet": h.worldnet} for h in states],
            "winner": final.winner,
            "final": {"player": final.player, "worldnet": final.worldnet},
        }
        summary.update(verdict=final.winner, headline=DUEL_HEADLINES[final.winner])
    elif waiting == 0 and finished:
        verdict = rules.classic_winner(player_total=total, worldnet_total=worldnet_total)
        summary.update(verdict=verdict, headline=HEADLINES[verdict])
    return summary


def summary_state(*, game: Game) -> dict[str, Any]:
    """What a summary page asks while worldNET is still guessing: the totals, each round's worldNET, the verdict."""
    summary = game_summary(game=game)
    keys = ("total", "worldnet_total", "worldnet_complete", "waiting", "verdict", "headline")
    return {**{key: summary[key] for key in keys}, "rounds": [{"index": r["index"], "worldnet": r["worldnet"]} for r in summary["rounds"]]}
