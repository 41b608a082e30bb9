"""Admin: a set's photos, curated one by one or in bulk: taken out of new games, put back, moved to
where they were really taken (``geoguess.imagesets.curation``). Thumbnails come from an admin-only URL."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from geoguess.imagesets.curation import THUMBNAIL_SIDE, photo_location_correct, photo_thumbnail_jpeg, photos_enable
from geoguess.imagesets.models import Photo
from worldnet_core.manifest import parse_coordinate


class PhotoForm(forms.ModelForm):
    """An admin's edit of a photo: in new games or not, and where it was taken (checked like an import's rows)."""

    lat = forms.CharField(help_text="degrees, -90 to 90")
    lon = forms.CharField(help_text="degrees, -180 to 180")

    class Meta:
        model = Photo
        fields = ["enabled", "lat", "lon"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name, kind in (("lat", "latitude"), ("lon", "longitude")):
            if name in cleaned:
                try:
                    cleaned[name] = parse_coordinate(cleaned[name], kind)
                except ValueError as error:
                    self.add_error(name, str(error))
        return cleaned


@admin.action(description="Disable the selected photos (not drawn in new games)")
def disable_photos(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
    changed = photos_enable(photo_ids=queryset.values_list("pk", flat=True), enabled=False)
    modeladmin.message_user(request, f"{changed} photo(s) disabled: new games no longer draw them.")


@admin.action(description="Enable the selected photos")
def enable_photos(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
    changed = photos_enable(photo_ids=queryset.values_list("pk", flat=True), enabled=True)
    modeladmin.message_user(request, f"{changed} photo(s) enabled.")


class PhotoAdmin(admin.ModelAdmin):
    form = PhotoForm
    list_display = ["id", "thumbnail", "image_set", "place", "country", "lat", "lon", "author", "licence", "enabled"]
    list_filter = ["image_set", "enabled"]
    search_fields = ["place", "country", "author", "licence"]
    actions = [disable_photos, enable_photos]
    fields = [
        "thumbnail",
        "enabled",
        "lat",
        "lon",
        "image_set",
        "place",
        "country",
        "group",
        "credit",
        "location_corrected_at",
        "original",
        "served",
        "preview",
    ]
    readonly_fields = [
        "thumbnail",
        "image_set",
        "original",
        "served",
        "place",
        "country",
        "group",
        "credit",
        "location_corrected_at",
        "preview",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # photos arrive with their image set

    def save_model(self, request: HttpRequest, obj: Photo, form: forms.ModelForm, change: bool) -> None:
        # Through the curation services: a moved photo gets its predictions made again.
        photos_enable(photo_ids=[obj.pk], enabled=form.cleaned_data["enabled"])
        obj.refresh_from_db(fields=["enabled"])
        # Compared as numbers: the form's text fields count as changed on every save (their initial
        # value is the stored float, the data a string), which would announce a correction never made.
        stored = Photo.objects.get(pk=obj.pk)
        if (form.cleaned_data["lat"], form.cleaned_data["lon"]) != (stored.lat, stored.lon):
            photo_location_correct(photo=stored, lat=form.cleaned_data["lat"], lon=form.cleaned_data["lon"])
            self.message_user(request, "Location corrected: worldNET's prediction for this photo is being made again.")

    def get_urls(self) -> list:
        thumb = path("<path:object_id>/thumbnail/", self.admin_site.admin_view(self.thumbnail_view), name="imagesets_photo_thumbnail")
        return [thumb, *super().get_urls()]

    def thumbnail_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A small JPEG for admins; players' images go through the game's per-round URLs only."""
        photo = self.get_object(request, object_id)
        if photo is None:
            raise Http404("no such photo")
        if not self.has_view_permission(request, photo):
            raise PermissionDenied
        side = 800 if request.GET.get("large") else THUMBNAIL_SIDE
        try:
            data = photo_thumbnail_jpeg(photo=photo, side=side)
        except OSError:
            raise Http404("this photo's served copy is missing") from None
        response = HttpResponse(data, content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    @admin.display(description="thumbnail")
    def thumbnail(self, obj: Photo) -> str:
        return format_html(
            '<img src="{}" alt="photo {}" loading="lazy" width="120" style="max-height:90px;object-fit:contain">',
            reverse("admin:imagesets_photo_thumbnail", args=[obj.pk]),
            obj.pk,
        )

    @admin.display(description="credit")
    def credit(self, obj: Photo) -> str:
        """Author, licence and source as players see them after their guess: text, the source a link."""
        parts = [(label, value) for label, value in (("author", obj.author), ("licence", obj.licence)) if value]
        text = format_html_join("; ", "{}: {}", parts)
        if obj.source.startswith(("https://", "http://")):  # as every import checks; a link only if so
            link = format_html('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>', obj.source, obj.source)
            text = format_html("{}{}source: {}", text, "; " if parts else "", link)
        elif obj.source:
            text = format_html("{}{}source: {}", text, "; " if parts else "", obj.source)
        return text or "–"

    @admin.display(description="served image")
    def preview(self, obj: Photo) -> str:
        return format_html(
            '<img src="{}" alt="photo {}" style="max-width:40rem">',
            reverse("admin:imagesets_photo_thumbnail", args=[obj.pk]) + "?large=1",
            obj.pk,
        )
