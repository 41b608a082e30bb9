"""The accounts' pages: sign up, sign in and out, passwords (Django's own auth views, with the site's
templates and limits), the profile, its CSV export, its settings and deleting the account.

Every refused form answers 400 (429 when a rate limit refused it), with the form's message: never a 200
that looks like success to a script, never a 500. Every page is ``private, no-store`` (``caching``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from geoguess.accounts import limits, rating_selectors, selectors, services
from geoguess.accounts.forms import (
    DeleteAccountForm,
    LimitedPasswordChangeForm,
    ProfileSettingsForm,
    RateLimitedPasswordResetForm,
    SignInForm,
    SignUpForm,
)
from geoguess.accounts.rating_chart import rating_chart
from geoguess.game import selectors as game_selectors
from geoguess.game.views.common import page_config, player_key

User = get_user_model()
#: What a username can be (Django's validator: letters, digits and @.+-_; at most the field's length).
USERNAME = re.compile(rf"[\w.@+-]{{1,{User._meta.get_field('username').max_length}}}")


class RefusedFormStatus:
    """A refused form answers 400, or 429 when a rate limit refused it."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = refused_status(form)
        return response


def refused_status(form: Any) -> int:
    """A refused form's status: 429 when a rate limit refused it (its error's code), else 400."""
    limited = any(error.code == "rate_limited" for errors in form.errors.as_data().values() for error in errors)
    return 429 if limited else 400


class SignInView(RefusedFormStatus, auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        """The page that asked, unless it is this one (signed in already, Django would refuse the loop with a 500)."""
        url = super().get_redirect_url(request) if request is not None else super().get_redirect_url()
        return "" if urlsplit(url).path == self.request.path else url

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        guest_key = player_key(self.request)  # the session keeps it through login (its key is cycled, not its data)
        response = super().form_valid(form)
        handed = services.games_hand_over(account=form.get_user(), owner_key=guest_key)
        if handed:
            messages.info(self.request, f"The {handed} game{'s' if handed > 1 else ''} you played as a guest here are now in your profile.")
        return response


class PasswordChangeView(RefusedFormStatus, auth_views.PasswordChangeView):
    form_class = LimitedPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetView(RefusedFormStatus, auth_views.PasswordResetView):
    form_class = RateLimitedPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetConfirmView(RefusedFormStatus, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        limits.clear(limits.SIGN_IN, key=form.user.get_username())  # its owner is back: whoever locked it out
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        self.link_works = bool(context.get("validlink"))
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        """A link that does not work (used, expired, cut short, made up) is a 400 page that says so."""
        response = super().render_to_response(context, **kwargs)
        if not getattr(self, "link_works", True) and response.status_code == 200:
            response.status_code = 400
        return response


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after signing up: the page that asked (this site's only), else ``default``."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return default


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:me")
    form = SignUpForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST":
        if form.is_valid():
            try:
                account = services.account_create(form=form, owner_key=player_key(request))
            except IntegrityError:  # the same username (or e-mail) taken a moment ago by another request
                form.add_error("username", "This username was just taken: choose another.")
                return render(request, "accounts/sign_up.html", {"form": form, "next": _next_url(request, "")}, status=400)
            limits.record(limits.SIGN_UP, key="", request=request)
            login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {account.get_username()}! Your games are kept in your profile from now on.")
            return redirect(_next_url(request, reverse("accounts:me")))
        status = refused_status(form)
        return render(request, "accounts/sign_up.html", {"form": form, "next": _next_url(request, "")}, status=status)
    return render(request, "accounts/sign_up.html", {"form": form, "next": _next_url(request, "")})


@require_GET
def me(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={reverse('accounts:me')}")
    return redirect("accounts:profile", username=request.user.get_username())


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    # Checked before the database sees it: PostgreSQL refuses a NUL character with an error, not an empty result.
    account = User.objects.filter(username=username).first() if USERNAME.fullmatch(username) else None
    if account is None or not account.is_active:
        raise Http404("no such player")
    is_owner = request.user.is_authenticated and request.user.pk == account.pk
    public = services.profile_of(account).public
    context: dict[str, Any] = {"account": account, "is_owner": is_owner, "public": public}
    if is_owner or public:
        context.update(
            summary=selectors.profile_summary(account),
            rating=rating_selectors.rating_of(account.pk),
            chart=rating_chart(rating_selectors.rating_history(account.pk)),
            daily_streak=game_selectors.daily_streak(account_id=account.pk, today=timezone.localdate()),
        )
    if is_owner:  # answers the owner has seen: where the photos were, how far off each guess was
        context.update(
            by_country=selectors.accuracy_by(account, "truth_country")[:30],
            by_continent=selectors.accuracy_by(account, "truth_continent"),
            history=selectors.played_rounds(account)[:100],
            recent=selectors.recent_games(account),
            map_config={**page_config(), "points": selectors.guess_map_points(account)},
        )
    return render(request, "accounts/profile.html", context)


class _Echo:
    """A file-like that hands back what csv.writer writes: rows streamed as they are read."""

    def write(self, value: str) -> str:
        return value


def _cell(column: str, value: object) -> object:
    """A cell a spreadsheet will not run: free text (an image set's name, a country) that starts like a formula
    gets a leading apostrophe. Ids and numbers are written as they are (a game id may start with "-")."""
    if column in selectors.HISTORY_TEXT_COLUMNS and isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@login_required
@require_GET
def history_csv(request: HttpRequest) -> HttpResponseBase:
    """Every scored round of the signed-in account as CSV (distances in km), for a spreadsheet or a class."""
    writer = csv.writer(_Echo())
    columns = selectors.HISTORY_COLUMNS
    rows = (writer.writerow([_cell(c, v) for c, v in zip(columns, row)]) for row in _with_header(selectors.history_rows(request.user)))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="worldnet-history-{request.user.get_username()}.csv"'
    return response


def _with_header(rows: Iterator[list[object]]) -> Iterator[list[object]]:
    yield list(selectors.HISTORY_COLUMNS)
    yield from rows


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    profile = services.profile_of(request.user)
    if request.method == "POST":
        form = ProfileSettingsForm(request.POST)
        if form.is_valid():
            services.profile_update(account=request.user, public=form.cleaned_data["public"])
            messages.success(request, "Saved: your profile is " + ("public." if form.cleaned_data["public"] else "hidden from others."))
            return redirect("accounts:settings")
        return render(request, "accounts/settings.html", {"form": form}, status=400)
    return render(request, "accounts/settings.html", {"form": ProfileSettingsForm(initial={"public": profile.public})})


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, account=request.user, request=request)
    if request.method == "POST":
        if form.is_valid():
            account = request.user
            logout(request)
            services.account_delete(account=account)
            messages.success(request, "Your account, its games and its ratings are deleted.")
            return redirect("game:home")
        return render(request, "accounts/delete.html", {"form": form}, status=refused_status(form))
    return render(request, "accounts/delete.html", {"form": form})
