"""Which language a request is answered in, and how a user's choice is kept.

Until a user chooses, the browser decides (Django's cookie, then Accept-Language). A choice
made while signed in is saved on the user (`User.language`) and wins on every later request,
on any browser. A choice made on the login page is kept in the session and saved on the
user who then signs in (`remember_choice_at_login`), so the next pages stay in it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

# Session key of a choice made before signing in; the session survives the log-in.
SESSION_CHOICE = "registry_language_choice"


def supported_language(code: str) -> str | None:
    """`code` when it is one of settings.LANGUAGES, else None (no partial matches)."""
    return code if code in dict(settings.LANGUAGES) else None


def user_set_language(*, user, language: str) -> None:
    """Save `language` as the user's choice ("" = follow the browser again)."""
    if language and supported_language(language) is None:
        raise ValueError(f"Unknown language {language!r}.")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def saved_language(user) -> str | None:
    """The signed-in user's saved choice, if it is still a supported language."""
    if not getattr(user, "is_authenticated", False):
        return None
    return supported_language(getattr(user, "language", "") or "")


def remember_choice_at_login(request: HttpRequest, user) -> None:
    """Save on `user` the language chosen on the login page in this session, if any."""
    chosen = supported_language(request.session.pop(SESSION_CHOICE, "") or "")
    if chosen:
        user_set_language(user=user, language=chosen)


class UserLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, then the signed-in user's saved language on top.

    Goes after AuthenticationMiddleware. `request.user` is already loaded by the pages that
    need a login, so this adds no query to them.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        language = saved_language(getattr(request, "user", None))
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
