from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from geoguess.accounts.forms import AdminSignInForm

admin.site.site_header = "worldNET GeoGuessr admin"
admin.site.site_title = "worldNET GeoGuessr"
admin.site.login_form = AdminSignInForm  # the players' sign-in limits hold for the admin's too

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url="/static/img/favicon.svg")),  # asked for by pages without an icon link
    path("party/", include("geoguess.party.urls")),
    path("", include("geoguess.accounts.urls")),
    path("", include("geoguess.game.urls")),
]
