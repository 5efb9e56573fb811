"""Which language a request is answered in, and how a user's choice is kept.

Until a user chooses, the browser decides (Django's cookie, then Accept-Language). A choice
made while signed in is saved on the user (`User.language`) and wins on every later request,
on any browser. A choice made on the login page is kept in the session and saved on the
user who then signs in (`remember_choice_at_login`), so the next pages stay in it.

Also: `gettext`, `field_label`, `field_choice` and `model_name` memoised per language, for
the engines that word their findings for every case of a batch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Model
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


# ---- translations in hot loops ----
#
# The eligibility and data-quality engines word their findings for every case a batch
# writes (10,000 cases in a few seconds); each Django lookup goes through the active
# language's context-local, which costs more than the rule itself. These memoise the
# result per language: the catalogues do not change while the process runs. (With
# translations deactivated, Django answers in LANGUAGE_CODE's words: the message ids
# themselves, since LANGUAGE_CODE is English, the language of the message ids.)

_pinned = threading.local()


@contextmanager
def language_pinned() -> Iterator[None]:
    """Read the active language once for a block of synchronous work that does not change
    it (a batch's re-assessment): the helpers below then skip Django's context-local.
    Outside such a block they read the active language on every call."""
    outer = getattr(_pinned, "language", None)
    _pinned.language = translation.get_language()
    try:
        yield
    finally:
        _pinned.language = outer


def _language() -> str:
    return getattr(_pinned, "language", None) or translation.get_language()


def gettext(message: str) -> str:
    """`django.utils.translation.gettext`, memoised per language."""
    return _translated(_language(), message)


def _in(language: str) -> AbstractContextManager[Any]:
    """The language the memo's entry is for (when pinned, the active one may differ)."""
    same = translation.get_language() == language
    return nullcontext() if same else translation.override(language)


@lru_cache(maxsize=4096)
def _translated(language: str, message: str) -> str:
    with _in(language):
        return translation.gettext(message)


def field_label(model: type[Model], name: str) -> str:
    """`str(field.verbose_name)` in the active language, memoised."""
    return _field_texts(_language(), model, name)[0]


def field_choice(model: type[Model], name: str, code: Any) -> Any:
    """The label of `code` among the field's choices (the code itself when it is not one),
    in the active language, memoised: `dict(field.flatchoices).get(code, code)`."""
    return _field_texts(_language(), model, name)[1].get(code, code)


@lru_cache(maxsize=4096)
def _field_texts(language: str, model: type[Model], name: str) -> tuple[str, dict[Any, str]]:
    field = model._meta.get_field(name)
    choices = getattr(field, "flatchoices", None) or ()
    with _in(language):
        return str(field.verbose_name), {code: str(label) for code, label in choices}


def model_name(model: type[Model]) -> str:
    """`str(model._meta.verbose_name)` in the active language, memoised."""
    return _model_name(_language(), model)


@lru_cache(maxsize=256)
def _model_name(language: str, model: type[Model]) -> str:
    with _in(language):
        return str(model._meta.verbose_name)
