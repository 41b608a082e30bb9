"""Admin: the page that chooses which image sets a model version plays (``…/modelversion/<id>/activate/``).

Each image set has its own worldNET, or is played by the site-wide default. The page lists every set
with the version that plays it now, and changes only the sets the admin ticks or unticks (and the
default, if asked): it says, set by set, what changed and what it replaced, and that no other set did.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from geoguess.imagesets.models import ImageSet
from geoguess.opponent.forms import ROW_ID, ActivationForm
from geoguess.opponent.models import ModelVersion
from geoguess.opponent.selectors import active_version, set_players, sets_played_by_default
from geoguess.opponent.services import model_version_activate, model_version_withdraw
from geoguess.opponent.strength import SPLIT_LABELS, held_out_counts, mean_km, measurable


def activation_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    version = ModelVersion.objects.filter(pk=int(object_id)).first() if ROW_ID.fullmatch(object_id) else None
    if version is None:
        raise Http404("no such model version")
    if not model_admin.has_change_permission(request, version):
        raise PermissionDenied
    own = list(ImageSet.objects.filter(set_version__model_version=version))
    if request.method == "POST":
        form = ActivationForm(request.POST)
        if form.is_valid():
            for level, text in activation_apply(version, own, list(form.cleaned_data["image_sets"]), form.cleaned_data["default"]):
                model_admin.message_user(request, text, level)
            return HttpResponseRedirect(reverse("admin:opponent_modelversion_change", args=[version.pk]))
    else:
        # What it plays now, or, played nowhere yet, the sets it was trained for.
        form = ActivationForm(initial={"image_sets": own or list(version.image_sets.all()), "default": version.is_active})
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Which image sets {version.name} plays",
        "form": form,
        "version": version,
        "players": [(image_set, played_by, is_own) for image_set, played_by, is_own in set_players()],
        "trained_for": list(version.image_sets.values_list("name", flat=True)),
        "opts": model_admin.model._meta,
        "original": version,
    }
    return render(request, "admin/opponent/modelversion/activate.html", context)


def activation_apply(version: ModelVersion, own: list[ImageSet], chosen: list[ImageSet], default: bool) -> list[tuple[int, str]]:
    """Applies the page's choice; returns what to tell the admin, ``(level, text)``, set by set."""
    said: list[tuple[int, str]] = []
    previous_default = active_version()
    players = {image_set.pk: played_by for image_set, played_by, _ in set_players()}
    added = [s for s in chosen if s.pk not in {o.pk for o in own}]
    removed = [s for s in own if s.pk not in {c.pk for c in chosen}]
    if added:
        model_version_activate(version=version, image_sets=added)
        before = "; ".join(f"{s.name} (was {_name(players.get(s.pk))})" for s in added)
        said.append((messages.SUCCESS, f"{version.name} now plays {before}; its predictions for their photos are queued."))
        replaced = {player.pk: player for s in added if (player := players.get(s.pk)) is not None}
        for player in replaced.values():
            said += [(messages.WARNING, text) for text in activation_warnings(version, player)]
        untrained = [s.name for s in added if not version.image_sets.filter(pk=s.pk).exists()]
        if untrained:
            said.append(
                (
                    messages.WARNING,
                    f"{version.name} was not trained for {', '.join(untrained)}: it guesses their photos as places it has not seen.",
                )
            )
    if removed:
        model_version_withdraw(version=version, image_sets=removed)
        fallback = _name(active_version())
        said.append((messages.SUCCESS, f"{', '.join(s.name for s in removed)}: back to the site-wide default ({fallback})."))
    if default and not version.is_active:
        model_version_activate(version=version)
        sets = ", ".join(sets_played_by_default().values_list("name", flat=True)) or "none now"
        said.append(
            (
                messages.SUCCESS,
                f"{version.name} is the site-wide default (was {_name(previous_default)}): it plays every set without its own ({sets}).",
            )
        )
    elif not default and version.is_active:
        model_version_withdraw(version=version, default=True)
        sets = ", ".join(sets_played_by_default().values_list("name", flat=True)) or "none"
        said.append((messages.WARNING, f"No site-wide default now: worldNET does not play the sets without their own ({sets})."))
    if not said:
        return [(messages.INFO, f"Nothing changed: {version.name} plays what it played.")]
    return [*said, (messages.INFO, "Every other image set keeps its worldNET.")]


def _name(version: Any) -> str:
    return version.name if isinstance(version, ModelVersion) else "none"


def activation_warnings(version: ModelVersion, replaced: ModelVersion | None) -> list[str]:
    """What an admin should know about the version just activated: no evaluation (or none on enough
    test photos), or a mean error worse than the version it replaced (players would notice the weaker
    opponent). Only figures over enough test photos are compared."""

    def measured(model: ModelVersion, split: str) -> float | None:
        return mean_km(model, split) if measurable(held_out_counts(model)[split]) else None

    if not any(mean_km(version, split) is not None for split in SPLIT_LABELS):
        return [f"{version.name} has no stored evaluation: nothing says how well it plays."]
    if not any(measured(version, split) is not None for split in SPLIT_LABELS):
        return [f"{version.name} was tested on too few photos to say how well it plays: see its figures in play on its page."]
    if replaced is None or replaced.pk == version.pk:
        return []
    worse = [
        f"{SPLIT_LABELS[split]}: {ours:,.0f} km against {theirs:,.0f} km"
        for split in SPLIT_LABELS
        if (ours := measured(version, split)) is not None and (theirs := measured(replaced, split)) is not None and ours > theirs
    ]
    if not worse:
        return []
    return [
        f"{version.name} guesses farther off on average than {replaced.name}, which it replaced "
        f"({'; '.join(worse)}; each measured on its own test photos). To go back, activate {replaced.name} for it."
    ]
