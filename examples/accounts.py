"""Who the example app's callers are: demo users, their tokens, and the checks ssegen calls.

`build_router` takes one authenticator per security scheme of a spec (README,
"Securing streams"). Here a bearer token or a session cookie names a user;
a real app would verify a signed token or look the session up in its store.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssegen.runtime import Credentials

from generated.notifications import NotificationsAccess


@dataclass(frozen=True)
class User:
    """The principal: what the handlers and the topic authorization learn about the caller."""

    id: int
    name: str


USERS = {"token-ada": User(7, "ada"), "token-bob": User(8, "bob"), "token-cy": User(9, "cy")}
SESSIONS = {"session-ada": USERS["token-ada"]}


def bearer_user(credentials: Credentials) -> User | None:
    """A sync authenticator (it runs in the thread pool): the token's user, or None (401)."""
    return USERS.get(credentials.value)


async def session_user(credentials: Credentials) -> User | None:
    """An async authenticator: the session cookie's user, or None (401)."""
    return SESSIONS.get(credentials.value)


class OwnNotifications(NotificationsAccess[User]):
    """Each user reads only their own notifications; another user's instance gets 403."""

    async def authorize_user_notifications(self, principal: User, *, user_id: int) -> bool:
        return principal.id == user_id
