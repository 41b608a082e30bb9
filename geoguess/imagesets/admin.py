"""Admin: upload an image set (imported in the background), follow its import job, curate its photos."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from geoguess.imagesets.curation import THUMBNAIL_SIDE, photo_location_correct, photo_thumbnail_jpeg, photos_enable
from geoguess.imagesets.jobs import import_job_create, import_job_progress, import_jobs_sweep
from geoguess.imagesets.models import ImageSet, ImportJob, Photo
from geoguess.imagesets.services import imageset_coverage_map_html
from geoguess.security import map_document_response
from worldnet_core.manifest import ImageSetError
from worldnet_core.readers import KINDS

#: Photos listed on an image set's own page; the Photos list (filtered to the set) has them all.
PHOTOS_ON_SET_PAGE = 500


class ImageSetUploadForm(forms.Form):
    name = forms.CharField(max_length=ImageSet._meta.get_field("name").max_length)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    archive = forms.FileField(
        help_text="A zip of images plus a labels CSV (filename, lat, lon), photos with EXIF GPS, or the GSV-Cities layout. "
        "It is imported in the background: the next page follows the import.",
    )
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS], initial="auto", help_text="how to read it; auto recognises each layout")


@admin.register(ImageSet)
class ImageSetAdmin(admin.ModelAdmin):
    list_display = ["name", "photo_count", "scale_km_rounded", "created_at"]
    search_fields = ["name"]
    fields = ["name", "description", "slug", "photo_count", "scale_km", "source", "created_at", "coverage", "photos_table"]
    readonly_fields = ["slug", "scale_km", "source", "photo_count", "coverage", "photos_table", "created_at"]

    class Media:
        css = {"all": ["leaflet/leaflet.css"]}
        js = ["leaflet/leaflet.js", "imagesets/photo_map.js"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_photo_count=Count("photos"), _enabled_count=Count("photos", filter=Q(photos__enabled=True)))
        )

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
                    archive=data["archive"],
                    archive_name=data["archive"].name,
                    created_by=request.user.get_username(),
                )
            except ImageSetError as error:
                for problem in error.problems[:50]:
                    form.add_error("name" if problem.file == "name" else None, str(problem))
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
            '<iframe title="coverage map" src="{}" sandbox="allow-scripts" style="width:100%;min-width:40rem;height:26rem;border:0"></iframe>',
            url,
        )

    @admin.display(description="photos")
    def photos_table(self, obj: ImageSet) -> str:
        """Every photo as a thumbnail on a map (``photo_map.js``) and in a table; each links to its page,
        where it is disabled, enabled or moved. Thumbnails come from an admin-only URL."""
        photos = list(obj.photos.all()[:PHOTOS_ON_SET_PAGE])
        rows = format_html_join(
            "",
            '<tr class="{}"><td><a href="{}"><img src="{}" alt="photo {}" loading="lazy" width="120" style="max-height:90px;object-fit:contain"></a></td>'
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
            '<table id="photo-table"><thead><tr><th>photo</th><th>#</th><th>place</th><th>country</th><th>lat, lon</th><th>in new games</th></tr></thead><tbody>{}</tbody></table>',
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
                "id": pk,
                "lat": lat,
                "lon": lon,
                "enabled": enabled,
                "place": place,
                "thumbnail": reverse("admin:imagesets_photo_thumbnail", args=[pk]),
                "url": reverse("admin:imagesets_photo_change", args=[pk]),
            }
            for pk, lat, lon, enabled, place in image_set.photos.values_list("pk", "lat", "lon", "enabled", "place")
        ]
        response = JsonResponse({"photos": points})
        response["Cache-Control"] = "private, no-store"
        return response


class PhotoForm(forms.ModelForm):
    """An admin's edit of a photo: in new games or not, and where it was taken (checked like an import's rows)."""

    lat = forms.CharField(help_text="degrees, -90 to 90")
    lon = forms.CharField(help_text="degrees, -180 to 180")

    class Meta:
        model = Photo
        fields = ["enabled", "lat", "lon"]

    def clean(self):
        from worldnet_core.manifest import parse_coordinate

        cleaned = super().clean()
        for name, kind in (("lat", "latitude"), ("lon", "longitude")):
            if name in cleaned:
                try:
                    cleaned[name] = parse_coordinate(cleaned[name], kind)
                except ValueError as error:
                    self.add_error(name, str(error))
        return cleaned


@admin.action(description="Disable the selected photos (not drawn in new games)")
def disable_photos(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
    changed = photos_enable(photo_ids=queryset.values_list("pk", flat=True), enabled=False)
    modeladmin.message_user(request, f"{changed} photo(s) disabled: new games no longer draw them.")


@admin.action(description="Enable the selected photos")
def enable_photos(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
    changed = photos_enable(photo_ids=queryset.values_list("pk", flat=True), enabled=True)
    modeladmin.message_user(request, f"{changed} photo(s) enabled.")


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    form = PhotoForm
    list_display = ["id", "thumbnail", "image_set", "place", "country", "lat", "lon", "enabled"]
    list_filter = ["image_set", "enabled"]
    search_fields = ["place", "country"]
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
        "location_corrected_at",
        "original",
        "served",
        "preview",
    ]
    readonly_fields = ["thumbnail", "image_set", "original", "served", "place", "country", "group", "location_corrected_at", "preview"]

    def has_add_permission(self, request) -> bool:
        return False  # photos arrive with their image set

    def save_model(self, request, obj: Photo, form, change) -> None:
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

    @admin.display(description="served image")
    def preview(self, obj: Photo) -> str:
        return format_html(
            '<img src="{}" alt="photo {}" style="max-width:40rem">',
            reverse("admin:imagesets_photo_thumbnail", args=[obj.pk]) + "?large=1",
            obj.pk,
        )


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Import jobs, read-only: they come from uploads and ``import_imageset --background``; the page follows one live."""

    list_display = ["name", "status", "stage", "counts", "created_at", "image_set"]
    list_filter = ["status"]
    fields = [
        "name",
        "progress",
        "archive_name",
        "archive_bytes",
        "kind",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
        "image_set",
    ]
    readonly_fields = fields

    class Media:
        js = ["imagesets/import_job.js"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A job being imported is its worker's until it ends; a finished one may go (its files went already).
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_finished)

    def changelist_view(self, request, extra_context=None):
        import_jobs_sweep()  # a job whose worker died shows as queued again, not as running forever
        return super().changelist_view(request, extra_context)

    @admin.display(description="photos checked / stored / in all")
    def counts(self, obj: ImportJob) -> str:
        return f"{obj.checked:,} / {obj.stored:,} / {obj.total:,}"

    @admin.display(description="progress")
    def progress(self, obj: ImportJob) -> str:
        state = import_job_progress(job=obj)
        problems = format_html_join("", "<li>{}</li>", ((p,) for p in state["problems"]))
        set_link = (
            format_html(
                '<a id="import-image-set" href="{}">the image set</a>', reverse("admin:imagesets_imageset_change", args=[obj.image_set_id])
            )
            if obj.image_set_id
            else ""
        )
        return format_html(
            '<div id="import-progress" data-url="{}" data-finished="{}">'
            '<p>status: <strong data-field="status">{}</strong>, stage: <span data-field="stage">{}</span> <span data-field="link">{}</span></p>'
            '<p>photos checked: <span data-field="checked">{}</span> of <span data-field="total">{}</span> '
            '<progress data-bar="checked" max="{}" value="{}"></progress></p>'
            '<p>photos stored: <span data-field="stored">{}</span> of <span data-field="total">{}</span> '
            '<progress data-bar="stored" max="{}" value="{}"></progress></p>'
            '<p>elapsed: <span data-field="elapsed_s">{}</span> s</p>'
            '<ul data-field="problems" class="errorlist">{}</ul></div>',
            reverse("admin:imagesets_importjob_status", args=[obj.pk]),
            "true" if state["finished"] else "false",
            state["status"],
            state["stage"],
            set_link,
            state["checked"],
            state["total"],
            max(state["total"], 1),
            state["checked"],
            state["stored"],
            state["total"],
            max(state["total"], 1),
            state["stored"],
            state["elapsed_s"] if state["elapsed_s"] is not None else "-",
            problems,
        )

    def get_urls(self) -> list:
        status = path("<path:object_id>/status/", self.admin_site.admin_view(self.status_view), name="imagesets_importjob_status")
        return [status, *super().get_urls()]

    def status_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """The job's progress as JSON, polled by ``import_job.js``."""
        import_jobs_sweep()
        job = self.get_object(request, object_id)
        if job is None:
            raise Http404("no such import job")
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        state = import_job_progress(job=job)
        state["image_set_url"] = reverse("admin:imagesets_imageset_change", args=[job.image_set_id]) if job.image_set_id else None
        response = JsonResponse(state)
        response["Cache-Control"] = "private, no-store"
        return response
