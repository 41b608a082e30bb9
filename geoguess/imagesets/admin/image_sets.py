"""Admin: image sets. The upload (kept, then imported in the background by an import job), each set's
coverage map and its photos on a map and in a table."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from geoguess.imagesets.checks import max_length
from geoguess.imagesets.featured import imageset_feature_daily
from geoguess.imagesets.jobs import import_job_create
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.imagesets.selectors import image_sets_with_photo_counts, imageset_coverage_map_html, imageset_photo_points
from geoguess.security import map_document_response
from worldnet_core.manifest import ImageSetError
from worldnet_core.readers import KINDS
from worldnet_core.readers.validation import Credits

#: Photos listed on an image set's own page; the Photos list (filtered to the set) has them all.
PHOTOS_ON_SET_PAGE = 500


class ImageSetUploadForm(forms.Form):
    name = forms.CharField(max_length=max_length(ImageSet, "name"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    archive = forms.FileField(
        help_text="A zip of images plus a labels CSV (filename, lat, lon), photos with EXIF GPS, or the GSV-Cities layout. "
        "It is imported in the background: the next page follows the import.",
    )
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS], initial="auto", help_text="how to read it; auto recognises each layout")
    # The set-wide credit: checked by the import's own checks (the readers'), so that the form and
    # ``import_imageset`` refuse the same values with the same words.
    author = forms.CharField(
        required=False,
        max_length=max_length(Photo, "author"),
        help_text="Who took the photos, for those whose labels CSV (an author column) or EXIF (Artist) names nobody.",
    )
    licence = forms.CharField(
        required=False,
        max_length=max_length(Photo, "licence"),
        help_text="The photos' licence, e.g. CC BY-SA 4.0, for those whose labels CSV or EXIF (Copyright) gives none.",
    )
    source = forms.CharField(
        required=False,
        max_length=max_length(Photo, "source"),
        label="Source URL",
        help_text="An http(s) page the photos come from (the data set's), for those without a source column of their own. "
        "Players see the credit after their guess.",
    )


class ImageSetAdmin(admin.ModelAdmin):
    list_display = ["name", "photo_count", "scale_km_rounded", "featured_daily", "created_at"]
    search_fields = ["name"]
    fields = [
        "name",
        "description",
        "featured_daily",
        "slug",
        "photo_count",
        "scale_km",
        "source",
        "created_at",
        "coverage",
        "photos_table",
    ]
    readonly_fields = ["slug", "scale_km", "source", "photo_count", "coverage", "photos_table", "created_at"]

    class Media:
        css = {"all": ["leaflet/leaflet.css"]}
        js = ["leaflet/leaflet.js", "imagesets/photo_map.js"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImageSet]:
        return image_sets_with_photo_counts(super().get_queryset(request))

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        """The upload: keeps the archive, queues its import job and shows the job at once (no import in the request)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImageSetUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                job = import_job_create(
                    name=data["name"],
                    description=data["description"],
                    kind=data["kind"],
                    credits=Credits(data["author"], data["licence"], data["source"]),
                    archive=data["archive"],
                    archive_name=data["archive"].name,
                    created_by=request.user.get_username(),
                )
            except ImageSetError as error:
                for problem in error.problems[:50]:
                    field = problem.file if problem.file in form.fields else None
                    form.add_error(field, problem.message if field else str(problem))
            else:
                messages.success(request, f"The upload of {job.name!r} is kept; a worker imports it now. This page follows it.")
                return HttpResponseRedirect(reverse("admin:imagesets_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload an image set",
            "form": form,
            "opts": self.opts,
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/imagesets/imageset/upload.html", context)

    def save_model(self, request: HttpRequest, obj: ImageSet, form: forms.ModelForm, change: bool) -> None:
        """Saved; featured for the daily challenge, the other sets are un-featured (inside the admin's transaction)."""
        super().save_model(request, obj, form, change)
        if obj.featured_daily:
            imageset_feature_daily(image_set=obj)

    @admin.display(description="photos (enabled / all)", ordering="_enabled_count")
    def photo_count(self, obj: ImageSet) -> str:
        enabled = getattr(obj, "_enabled_count", None)
        enabled = obj.photos.enabled().count() if enabled is None else enabled
        total = getattr(obj, "_photo_count", None) or obj.photos.count()
        return f"{enabled:,} / {total:,}" if enabled != total else f"{total:,}"

    @admin.display(description="scale D (km)", ordering="scale_km")
    def scale_km_rounded(self, obj: ImageSet) -> str:
        return f"{obj.scale_km:,.0f}"

    @admin.display(description="coverage")
    def coverage(self, obj: ImageSet) -> str:
        # The folium map is a document of its own at an admin URL: its inline script runs there
        # under its own policy (nonce, sandbox), while this page keeps the site's strict one.
        url = reverse("admin:imagesets_imageset_coverage_map", args=[obj.pk])
        return format_html(
            '<iframe title="coverage map" src="{}" sandbox="allow-scripts" '
            'style="width:100%;min-width:40rem;height:26rem;border:0"></iframe>',
            url,
        )

    @admin.display(description="photos")
    def photos_table(self, obj: ImageSet) -> str:
        """Every photo as a thumbnail on a map (``photo_map.js``) and in a table; each links to its page,
        where it is disabled, enabled or moved. Thumbnails come from an admin-only URL."""
        photos = list(obj.photos.all()[:PHOTOS_ON_SET_PAGE])
        rows = format_html_join(
            "",
            '<tr class="{}"><td><a href="{}">'
            '<img src="{}" alt="photo {}" loading="lazy" width="120" style="max-height:90px;object-fit:contain"></a></td>'
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    "" if p.enabled else "photo-disabled",
                    reverse("admin:imagesets_photo_change", args=[p.pk]),
                    reverse("admin:imagesets_photo_thumbnail", args=[p.pk]),
                    p.pk,
                    p.pk,
                    p.place,
                    p.country,
                    f"{p.lat:.5f}, {p.lon:.5f}",
                    "yes" if p.enabled else "no (not drawn in new games)",
                )
                for p in photos
            ),
        )
        everything = reverse("admin:imagesets_photo_changelist") + f"?image_set__id__exact={obj.pk}"
        return format_html(
            '<div id="photo-map" data-points="{}" data-world="{}" style="width:100%;min-width:40rem;height:26rem"></div>'
            '<p><a href="{}">Curate every photo of this set</a> (disable, enable, correct locations; {} shown here).</p>'
            '<table id="photo-table"><thead><tr><th>photo</th><th>#</th><th>place</th><th>country</th><th>lat, lon</th>'
            "<th>in new games</th></tr></thead><tbody>{}</tbody></table>",
            reverse("admin:imagesets_imageset_photo_points", args=[obj.pk]),
            reverse("game:world"),
            everything,
            min(len(photos), PHOTOS_ON_SET_PAGE),
            rows,
        )

    def get_urls(self) -> list:
        own = [
            path(
                "<path:object_id>/coverage-map/", self.admin_site.admin_view(self.coverage_map_view), name="imagesets_imageset_coverage_map"
            ),
            path(
                "<path:object_id>/photo-points/", self.admin_site.admin_view(self.photo_points_view), name="imagesets_imageset_photo_points"
            ),
        ]
        return [*own, *super().get_urls()]  # before the admin's catch-all object URLs

    def _viewable(self, request: HttpRequest, object_id: str) -> ImageSet:
        image_set = self.get_object(request, object_id)
        if image_set is None:
            raise Http404("no such image set")
        if not self.has_view_permission(request, image_set):
            raise PermissionDenied
        return image_set

    def coverage_map_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every photo of an image set on a folium map, for staff who may view the set."""
        return map_document_response(imageset_coverage_map_html(image_set=self._viewable(request, object_id)))

    def photo_points_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """The photos for the page's map: position, whether enabled, their admin thumbnail and page."""
        image_set = self._viewable(request, object_id)
        points = [
            {
                **point,
                "thumbnail": reverse("admin:imagesets_photo_thumbnail", args=[point["id"]]),
                "url": reverse("admin:imagesets_photo_change", args=[point["id"]]),
            }
            for point in imageset_photo_points(image_set=image_set)
        ]
        response = JsonResponse({"photos": points})
        response["Cache-Control"] = "private, no-store"
        return response
