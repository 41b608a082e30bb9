from django.urls import path

from geoguess.game.views import api, daily, maps, pages, streak

app_name = "game"

urlpatterns = [
    path("", pages.home, name="home"),
    path("game/<str:public_id>/", pages.play, name="play"),
    path("game/<str:public_id>/summary", pages.summary, name="summary"),
    path("challenge/<str:public_id>/", pages.challenge, name="challenge"),
    path("daily/", daily.daily, name="daily"),
    path("streak/", streak.start, name="streak"),
    path("game/<str:public_id>/guess", api.guess, name="guess"),
    path("game/<str:public_id>/summary.json", api.summary_state, name="summary_state"),
    path("game/<str:public_id>/round/<int:index>", api.reveal, name="reveal"),
    path("game/<str:public_id>/round/<int:index>/attention.jpg", api.attention, name="attention"),
    path("game/<str:public_id>/round/<int:index>/state", api.round_state, name="round_state"),
    path("round-image/<str:token>", api.image, name="image"),
    path("world.geojson", maps.world, name="world"),
    path("basemap.json", maps.basemap_index, name="basemap_index"),
    path("basemap/<str:name>", maps.basemap_layer, name="basemap"),
]
