"""The party load benchmark: live parties over real WebSockets against the site as deployed, on loopback.

    .venv/bin/python -m benchmarks.party_load                               # 50 parties of 4 players, 3 rounds
    .venv/bin/python -m benchmarks.party_load --parties 5 --rounds 3        # a short run

Starts a throwaway PostgreSQL (durable, as deployed), Redis (the channel layer and the broker), a Celery
worker on the ``party`` queue (worldNET's lock-ins) and several Daphne processes with the production
settings (``servers``); seeds the small world with an active worldNET whose guesses are all stored;
makes the parties and each player's session (``parties``); then every player is an asyncio WebSocket
client (``players``) connected to one of the servers (a party's players spread over them), who plays
each round after a think time. Prints p50/p95/p99 from a guess to every member of its party seeing
"has guessed", and from a round's end to everyone's reveal, the errors, the servers' peak memory and
where the CPU went (``run``). The figures are in docs/benchmarks.md ("Parties under load").
"""
