"""Places as players read them: a country's full English name, not the map's short label ("Dem. Rep. Congo")."""

from __future__ import annotations

from django import template

from worldnet_core.land import country_name

register = template.Library()


@register.filter(name="country")
def country(name: str) -> str:
    return country_name(name) if name else ""
