from django.urls import path

from geoguess.game import views

app_name = "game"

urlpatterns = [
    path("", views.home, name="home"),
    path("game/<str:public_id>/", views.play, name="play"),
    path("game/<str:public_id>/guess", views.guess, name="guess"),
    path("game/<str:public_id>/round/<int:index>", views.reveal, name="reveal"),
    path("game/<str:public_id>/round/<int:index>/attention.jpg", views.attention, name="attention"),
    path("game/<str:public_id>/round/<int:index>/state", views.round_state, name="round_state"),
    path("game/<str:public_id>/summary", views.summary, name="summary"),
    path("challenge/<str:public_id>/", views.challenge, name="challenge"),
    path("round-image/<str:token>", views.image, name="image"),
    path("world.geojson", views.world, name="world"),
    path("basemap.json", views.basemap_index, name="basemap_index"),
    path("basemap/<str:name>", views.basemap_layer, name="basemap"),
]
