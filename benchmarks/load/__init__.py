"""The load test: simulated players against the site as deployed, all on loopback.

    .venv/bin/python -m benchmarks.load                      # 200 players, 60 s
    .venv/bin/python -m benchmarks.load --players 20 --run-time 30   # `make bench`'s short run
    .venv/bin/python -m benchmarks.load --curve              # 50, 100, 200, 400, 800 players: docs/load-curve.png

Starts a throwaway PostgreSQL, Redis, one Celery inference worker and gunicorn with the production
settings (``stack``); seeds the demo world with a trained demo worldNET, or restores the seeding kept
from an earlier run (``seed``); runs Locust headless with the players of ``locustfile`` (``bench``);
prints p50/p95/p99 per kind of request, requests per second, errors, the share of reveals that had
worldNET's guess stored, the web workers' peak memory and where the CPU went (``report``). Everything
it started is stopped at the end, on Ctrl-C too. The figures and what to read from them are in
docs/benchmarks.md.
"""
