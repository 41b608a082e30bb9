from django.contrib.auth import views as auth_views
from django.urls import path

from geoguess.accounts import rating_views, views

app_name = "accounts"

urlpatterns = [
    path("accounts/sign-up/", views.sign_up, name="signup"),
    path("accounts/sign-in/", views.SignInView.as_view(), name="login"),
    path("accounts/sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/changed/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_complete",
    ),
    path("me/", views.me, name="me"),
    path("me/history.csv", views.history_csv, name="history_csv"),
    path("me/settings/", views.account_settings, name="settings"),
    path("me/delete/", views.account_delete, name="delete"),
    path("players/<str:username>/", views.profile, name="profile"),
    path("ratings/", rating_views.ratings, name="ratings"),
]
