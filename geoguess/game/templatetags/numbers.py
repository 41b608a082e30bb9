"""Numbers as the game's JS writes them (static/js/format.js): "7,613 km", "12,345".

One format on every page: the reveal (drawn by JS) and the summary and home tables (drawn
here) must not say "7,613 km" in one place and "7613 km" in another. Independent of the
locale settings on purpose: the JS side uses Intl.NumberFormat("en") too.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def grouped(value: float | int | None) -> str:
    """An integer with thousands separators: ``12345`` -> ``"12,345"``; ``None`` -> ``"–"``."""
    if value is None or value == "":
        return "–"
    return f"{round(float(value)):,}"


@register.filter
def km(value: float | None) -> str:
    """A distance: one decimal under 10 km (``"7.6 km"``), whole and grouped above (``"7,613 km"``)."""
    if value is None or value == "":
        return "–"
    value = float(value)
    return f"{value:.1f} km" if value < 10 else f"{round(value):,} km"


@register.filter
def percent(value: float | None) -> str:
    """A share as a whole percentage, as format.js's ``percent``: ``0.625`` -> ``"62%"``; ``None`` -> ``"–"``."""
    if value is None or value == "":
        return "–"
    return f"{round(float(value) * 100)}%"


@register.filter
def or_list(values: list[object]) -> str:
    """Choices as a sentence says them: ``[3, 5, 10]`` -> ``"3, 5 or 10"``."""
    words = [str(value) for value in values]
    return " or ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)
