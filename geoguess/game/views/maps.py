"""The offline basemap: the shipped Natural Earth layers (``worldnet_core.basemap``), served to every map.

The only game URLs that browsers and proxies may keep (``caching.SHARED_MAP_DATA``): the same shipped
data for every player, nothing of any game in it.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from worldnet_core import basemap


@require_GET
@cache_control(public=True, max_age=86400)
def world(request: HttpRequest) -> HttpResponse:
    """Country outlines for the offline basemap (the shipped Natural Earth data)."""
    return _basemap_response(request, "countries-110m")


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)  # URLs carry the file's digest (?v=)
def basemap_layer(request: HttpRequest, name: str) -> HttpResponse:
    """One shipped basemap layer, gzip-compressed for clients that take it."""
    if name not in basemap.LAYERS:
        raise Http404("no such map layer")
    return _basemap_response(request, name)


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)  # its URL carries the layers' digest (?v=)
def basemap_index(request: HttpRequest) -> JsonResponse:
    """What basemap.js needs to fetch each layer when it comes into view (see worldnet_core.basemap)."""
    layers = [
        {
            "url": f"{reverse('game:basemap', args=[name])}?v={basemap.layer_version(name)}",
            "kind": layer.kind,
            "minZoom": layer.min_zoom,
            "bbox": layer.bbox,
        }
        for name, layer in basemap.LAYERS.items()
    ]
    return JsonResponse({"layers": layers, "detailZoom": basemap.DETAIL_ZOOM})


def _basemap_response(request: HttpRequest, name: str) -> HttpResponse:
    # Compressed here, once per process: the site has no GZipMiddleware, and the 1:50m parts
    # are three times smaller gzipped.
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    body = basemap.layer_gzip(name) if gzip_ok else basemap.layer_bytes(name)
    response = HttpResponse(body, content_type=basemap.LAYERS[name].content_type)
    if gzip_ok:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["ETag"] = f'"{basemap.layer_version(name)}"'
    return response
