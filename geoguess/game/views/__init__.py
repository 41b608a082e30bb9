"""The player's pages (``pages``), the round API the pages call (``api``) and the offline basemap (``maps``).

Thin: each view reads through ``selectors`` and writes through ``services`` or the round ``engine``.
"""
