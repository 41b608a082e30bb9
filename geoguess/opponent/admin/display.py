"""How the opponent's admin pages show read-only facts: tables of text, escaped."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def argument_text(value: object) -> str:
    """A training flag's value as the page shows it: ``–`` for none, ``yes``/``no``, a list spaced out.

    >>> argument_text(None), argument_text(True), argument_text([48, 64]), argument_text(0.002)
    ('–', 'yes', '48 64', '0.002')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(map(str, value)) or "–"
    return str(value)


def facts_table(rows: list[tuple[str, str]]) -> SafeString:
    """Two columns of text (escaped), as the admin shows read-only facts."""
    return format_html("<table><tbody>{}</tbody></table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))


def arguments_table(arguments: Mapping[str, object]) -> SafeString:
    """Training flags as ``--flag-name`` and value, in name order."""
    return facts_table([(f"--{key.replace('_', '-')}", argument_text(value)) for key, value in sorted(arguments.items())])
