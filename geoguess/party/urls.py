from django.urls import path

from geoguess.party import views

app_name = "party"

urlpatterns = [
    path("new", views.new, name="new"),
    path("join", views.join, name="join"),
    path("image/<str:token>", views.image, name="image"),
    path("<str:code>/", views.party, name="party"),
]
