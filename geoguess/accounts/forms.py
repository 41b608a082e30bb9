"""The accounts' forms: Django's own, with the site's rate limits and a required, unique e-mail.

Every message is shown to the player as is. A sign-in refused by the rate limit says so (and what to
do), not "wrong password": the player would otherwise keep trying and stay locked out.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, UserCreationForm

from geoguess import rules
from geoguess.accounts import limits

User = get_user_model()


class RateLimitedSignIn:
    """Counts failed sign-ins, by username and by address, and refuses once over ``limits.SIGN_IN``."""

    request: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        if limits.exceeded(limits.SIGN_IN, key=username, request=self.request):
            raise forms.ValidationError(limits.SIGN_IN.message, code="rate_limited")
        counted = limits.record(limits.SIGN_IN, key=username, request=self.request)  # before the slow check: see ``limits``
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        limits.forget(counted)  # signed in: the attempt was no failure
        return cleaned


def check_password_limited(account: Any, password: str, request: Any) -> bool:
    """Whether ``password`` is the signed-in ``account``'s, under the sign-in limits: a session left open (a shared
    computer) must not let anyone try passwords without end, then change it or delete the account."""
    username = account.get_username()
    if limits.exceeded(limits.SIGN_IN, key=username, request=request):
        raise forms.ValidationError(limits.SIGN_IN.message, code="rate_limited")
    counted = limits.record(limits.SIGN_IN, key=username, request=request)
    right = bool(account.check_password(password))
    if right:
        limits.forget(counted)
    return right


class SignInForm(RateLimitedSignIn, AuthenticationForm):
    """The players' sign-in."""


class AdminSignInForm(RateLimitedSignIn, AdminAuthenticationForm):
    """The admin's sign-in, under the same limits (``admin.site.login_form``)."""


class SignUpForm(UserCreationForm):
    """A username, an e-mail for password resets (unique, any case) and a password Django's validators accept."""

    email = forms.EmailField(max_length=254, help_text="Only for resetting your password; never shown.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_username(self) -> str:
        username = str(super().clean_username())
        if len(username) > rules.PLAYER_NAME_MAX_LENGTH:  # it is the account's name on leaderboards and in parties
            raise forms.ValidationError(f"A username is at most {rules.PLAYER_NAME_MAX_LENGTH} characters.", code="username_too_long")
        return username

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            # Says that the address has an account (the form cannot make a second): counted like a sign-up, so
            # that addresses cannot be tried by the thousand.
            limits.record(limits.SIGN_UP, key="", request=self.request)
            raise forms.ValidationError("An account with this e-mail exists already: sign in, or reset its password.", code="email_taken")
        return email

    def clean(self) -> dict[str, Any]:
        if limits.exceeded(limits.SIGN_UP, key="", request=self.request):
            raise forms.ValidationError(limits.SIGN_UP.message, code="rate_limited")
        return super().clean() or self.cleaned_data


class RateLimitedPasswordResetForm(PasswordResetForm):
    """Django's reset form (it never says whether the address has an account), limited per address asked and per client."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        if limits.exceeded(limits.PASSWORD_RESET, key=email, request=self.request):
            raise forms.ValidationError(limits.PASSWORD_RESET.message, code="rate_limited")
        limits.record(limits.PASSWORD_RESET, key=email, request=self.request)
        return email


class ProfileSettingsForm(forms.Form):
    public = forms.BooleanField(required=False, label="Show my profile to others (games, averages, rating)")


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for its password: a session left open on a shared computer cannot do it."""

    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, account: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account, self.request = account, request

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not check_password_limited(self.account, password, self.request):
            raise forms.ValidationError("That is not this account's password.", code="wrong_password")
        return password


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, its old password checked under the sign-in limits (``check_password_limited``)."""

    def __init__(self, user: Any, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = str(self.cleaned_data["old_password"])
        if not check_password_limited(self.user, old_password, self.request):
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
