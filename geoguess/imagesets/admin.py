"""Admin: upload an image set as a zip (all or nothing) and see where its photos lie."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.services import imageset_coverage_map_html, imageset_import
from geoguess.security import map_document_response
from worldnet_core.manifest import ImageSetError
from worldnet_core.readers import KINDS


class ImageSetUploadForm(forms.ModelForm):
    archive = forms.FileField(
        help_text="A zip of images plus a labels CSV (filename, lat, lon), photos with EXIF GPS, or the GSV-Cities layout.",
    )
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS], initial="auto", help_text="how to read it; auto recognises each layout")

    class Meta:
        model = ImageSet
        fields = ["name", "description"]

    def validate_unique(self) -> None:
        pass  # the import service checks the name, before anything is written

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        upload = cleaned["archive"]
        with tempfile.TemporaryDirectory(prefix="upload-") as folder:
            path = Path(folder) / upload_file_name(upload.name)
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            try:
                self.imported = imageset_import(name=cleaned["name"], source=path, kind=cleaned["kind"], description=cleaned.get("description", ""))
            except ImageSetError as error:
                raise ValidationError([ValidationError(str(problem), code="bad_upload") for problem in error.problems[:50]]) from None
        return cleaned


def upload_file_name(name: str, max_bytes: int = 200) -> str:
    """The upload's own name (messages quote it), made safe to write: no folders or control
    characters, and short enough for any file system even in a multi-byte script."""
    name = "".join(ch if ch.isprintable() and ch not in "/\\" else "_" for ch in Path(name or "upload").name) or "upload"
    suffix = Path(name).suffix if len(Path(name).suffix.encode()) <= 16 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    while len((stem + suffix).encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    return (stem or "upload") + suffix


@admin.register(ImageSet)
class ImageSetAdmin(admin.ModelAdmin):
    list_display = ["name", "photo_count", "scale_km_rounded", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["slug", "scale_km", "source", "photo_count", "coverage", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_photo_count=Count("photos"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImageSetUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "description", "archive", "kind"]
        return ["name", "description", "slug", "photo_count", "scale_km", "source", "created_at", "coverage"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_form(self, request, form, change):
        # An upload was imported whole while the form was validated.
        return form.imported if not change else super().save_form(request, form, change)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.display(description="photos", ordering="_photo_count")
    def photo_count(self, obj: ImageSet) -> int:
        return getattr(obj, "_photo_count", None) or obj.photos.count()

    @admin.display(description="scale D (km)", ordering="scale_km")
    def scale_km_rounded(self, obj: ImageSet) -> str:
        return f"{obj.scale_km:,.0f}"

    @admin.display(description="coverage")
    def coverage(self, obj: ImageSet) -> str:
        # The folium map is a document of its own at an admin URL: its inline script runs there
        # under its own policy (nonce, sandbox), while this page keeps the site's strict one.
        url = reverse("admin:imagesets_imageset_coverage_map", args=[obj.pk])
        return format_html(
            '<iframe title="coverage map" src="{}" sandbox="allow-scripts" style="width:100%;min-width:40rem;height:26rem;border:0"></iframe>', url
        )

    def get_urls(self) -> list:
        coverage_map = path("<path:object_id>/coverage-map/", self.admin_site.admin_view(self.coverage_map_view), name="imagesets_imageset_coverage_map")
        return [coverage_map, *super().get_urls()]  # before the admin's catch-all object URLs

    def coverage_map_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every photo of an image set on a folium map, for staff who may view the set."""
        image_set = self.get_object(request, object_id)
        if image_set is None:
            raise Http404("no such image set")
        if not self.has_view_permission(request, image_set):
            raise PermissionDenied
        return map_document_response(imageset_coverage_map_html(image_set=image_set))


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["id", "image_set", "place", "country", "lat", "lon"]
    list_filter = ["image_set"]
    search_fields = ["place", "country"]
    readonly_fields = ["image_set", "original", "served", "lat", "lon", "place", "country", "group", "preview"]

    def has_add_permission(self, request) -> bool:
        return False  # photos arrive with their image set

    @admin.display(description="served image")
    def preview(self, obj: Photo) -> str:
        import base64

        from geoguess.imagesets.services import served_image_path

        data = base64.b64encode(served_image_path(obj).read_bytes()).decode()
        return format_html('<img src="data:image/jpeg;base64,{}" style="max-width:40rem">', data)
