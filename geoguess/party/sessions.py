"""A player's memberships, kept in their session: ``{party code: member key}`` under ``SESSION_KEY``. The member's key
is a secret only that session holds, so it is how a page or a WebSocket connection is a member's (``member_for_session``).
Join codes are read here as typed (``normalized_code``: case and spaces do not matter).
"""

from __future__ import annotations

from typing import Any

from geoguess.party.models import CODE_ALPHABET, CODE_LENGTH, Member

#: The session's key holding the player's memberships: {party code: member key}.
SESSION_KEY = "party_members"
#: Memberships a session keeps (the oldest forgotten first): a signed-cookie session stays small.
SESSION_MAX_PARTIES = 20


def normalized_code(code: str) -> str:
    """A join code as typed: case and spaces do not matter."""
    return "".join(str(code or "").split()).upper()


def is_code(code: str) -> bool:
    """Whether ``code`` (normalized) is a join code's shape: its length, its alphabet."""
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def remember_member(session: Any, member: Member) -> None:
    """Keeps the member's key in the player's session, under the party's code."""
    memberships = dict(session.get(SESSION_KEY) or {})
    memberships.pop(member.party.code, None)
    memberships[member.party.code] = member.key
    while len(memberships) > SESSION_MAX_PARTIES:
        memberships.pop(next(iter(memberships)))
    session[SESSION_KEY] = memberships


def member_for_session(session: Any, code: str) -> Member | None:
    """The session's member of the party with ``code``; None when it has none (or was removed from it)."""
    memberships = session.get(SESSION_KEY) if session is not None else None
    key = memberships.get(normalized_code(code)) if isinstance(memberships, dict) else None
    if not isinstance(key, str) or not key:
        return None
    return Member.objects.select_related("party").filter(key=key, party__code=normalized_code(code), removed=False).first()
