from django.urls import path

from geoguess.party import views

app_name = "party"

urlpatterns = [
    path("image/<str:token>", views.image, name="image"),
]
