"""What the tests share: images and zips they make, the processes they start (Redis, Celery workers, sites,
Chromium, a throwaway PostgreSQL), and ways to play a game from a test."""
