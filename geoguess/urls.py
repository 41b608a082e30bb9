from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "worldNET GeoGuessr admin"
admin.site.site_title = "worldNET GeoGuessr"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("geoguess.game.urls")),
]
