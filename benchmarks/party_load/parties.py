"""Makes the benchmark's parties, in a process of the site's (its database, its SECRET_KEY): prints them as JSON.

    python -m benchmarks.party_load.parties --parties 50 --players 4 --worldnet-share 0.5 --rounds 3

Each party is made through the services, as the party pages make them (``party_create``, ``party_join``);
each player's session is the site's own engine's (a signed cookie) holding their membership
(``remember_member``), as the join page leaves it. Printed: one JSON line, a list of parties, each
``{"code", "worldnet": member id or null, "players": [{"id", "name", "cookie"}]}`` (the host first).
"""

from __future__ import annotations

import argparse
import json
from importlib import import_module
from typing import Any


def make(*, parties: int, players: int, worldnet_share: float, mode: str, rounds: int, time_limit: int) -> list[dict[str, Any]]:
    from django.conf import settings

    from geoguess.imagesets.models import ImageSet
    from geoguess.party.models import Member
    from geoguess.party.services import party_create, party_join
    from geoguess.party.sessions import remember_member

    image_set = ImageSet.objects.order_by("id").first()
    assert image_set is not None, "seed the site first"
    engine = import_module(settings.SESSION_ENGINE)
    made = []
    for number in range(parties):
        worldnet_in = number < round(parties * worldnet_share)
        party, host = party_create(
            image_set=image_set, mode=mode, rounds=rounds, time_limit=time_limit, worldnet_in=worldnet_in, host_name=f"P{number}-1"
        )
        members = [host] + [party_join(code=party.code, name=f"P{number}-{seat}") for seat in range(2, players + 1)]
        cookies = []
        for member in members:
            session = engine.SessionStore()
            remember_member(session, member)
            session.save()
            cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
        worldnet = Member.objects.filter(party=party, is_worldnet=True).values_list("id", flat=True).first()
        made.append(
            {
                "code": party.code,
                "worldnet": worldnet,
                "players": [{"id": m.pk, "name": m.name, "cookie": c} for m, c in zip(members, cookies, strict=True)],
            }
        )
    return made


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, default=50)
    parser.add_argument("--players", type=int, default=4)
    parser.add_argument("--worldnet-share", type=float, default=0.5)
    parser.add_argument("--mode", default="classic")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--time-limit", type=int, default=60)
    options = parser.parse_args()
    django.setup()
    print(json.dumps(make(**vars(options))))


if __name__ == "__main__":
    main()
