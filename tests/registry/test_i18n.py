"""English and French: complete catalogues, the browser's language until the user chooses,
then the user's choice on every request (registry.i18n, registry.views.set_language)."""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from registry.i18n import SESSION_CHOICE
from registry.models import User

ROOT = Path(__file__).resolve().parents[2]
APPS = ("registry", "crf", "cohorts", "exports")
CATALOGUE = "locale/fr/LC_MESSAGES/django.po"
UPDATE_COMMAND = "make messages"
PASSWORD = "registry-test"  # tests.factories.UserFactory


# ---- the catalogues ----


@dataclass(frozen=True)
class PoEntry:
    msgid: str
    msgctxt: str | None
    msgstrs: tuple[str, ...]
    fuzzy: bool
    obsolete: bool

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstrs) and all(self.msgstrs)

    def __str__(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt else ""
        return f"{self.msgid!r}{context}"


def read_po(path: Path) -> list[PoEntry]:
    """The entries of a GNU gettext .po file, header excluded (polib is not a dependency)."""
    entries: list[PoEntry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        fields: dict[str, list[str]] = {}
        current = None
        fuzzy = obsolete = False
        for raw in block.splitlines():
            line = raw
            if line.startswith("#~"):
                obsolete, line = True, line[2:].strip()
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in [flag.strip() for flag in line[2:].split(",")]
                continue
            if not line or line.startswith("#"):
                continue
            keyword, _sep, rest = line.partition(" ")
            if line.startswith('"'):  # continuation of the previous keyword's string
                fields[current].append(ast.literal_eval(line))
            else:
                current = keyword
                fields[current] = [ast.literal_eval(rest)]
        if "msgid" not in fields:
            continue
        msgid = "".join(fields["msgid"])
        if msgid == "" and not obsolete:  # the header
            continue
        msgstrs = tuple("".join(v) for k, v in sorted(fields.items()) if k.startswith("msgstr"))
        context = "".join(fields["msgctxt"]) if "msgctxt" in fields else None
        entries.append(PoEntry(msgid, context, msgstrs, fuzzy, obsolete))
    return entries


def header_is_fuzzy(path: Path) -> bool:
    """A fuzzy header is dropped by msgfmt, and with it the charset: French breaks."""
    head = path.read_text(encoding="utf-8").split('msgid ""', 1)[0]
    return "fuzzy" in head.splitlines()[-1] if head.strip() else False


def catalogue_problems(committed: Path, current: Path | None) -> dict[str, list[PoEntry]]:
    """What is wrong with `committed`, `current` being it merged with today's sources."""
    mine = [e for e in read_po(committed) if not e.obsolete]
    fresh = [e for e in read_po(current) if not e.obsolete] if current and current.exists() else []
    mine_keys, fresh_keys = {e.key for e in mine}, {e.key for e in fresh}
    return {
        "in the sources but not in the catalogue": [e for e in fresh if e.key not in mine_keys],
        "without a translation (empty msgstr)": [
            e for e in mine if e.key in fresh_keys and not e.translated
        ],
        "marked fuzzy (check it, then delete the '#, fuzzy' line)": [
            e for e in mine if e.key in fresh_keys and e.fuzzy
        ],
        "no longer in the sources": [e for e in mine if e.key not in fresh_keys],
    }


@pytest.fixture(scope="module")
def merged_catalogues(tmp_path_factory) -> dict[str, Path]:
    """Each app's committed catalogue, merged by makemessages with today's sources, in a copy.

    The copy holds the apps only (sources and committed .po): the repository is untouched.
    """
    copy = tmp_path_factory.mktemp("i18n")
    for app in APPS:
        shutil.copytree(
            ROOT / app, copy / app, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static")
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(copy)
        patch.setattr(django_settings, "LOCALE_PATHS", [copy / app / "locale" for app in APPS])
        call_command("makemessages", locale=["fr"], no_obsolete=True, no_wrap=True, verbosity=0)
    return {app: copy / app / CATALOGUE for app in APPS}


@pytest.mark.parametrize("app", APPS)
def test_french_catalogue_matches_the_sources(app, merged_catalogues):
    committed = ROOT / app / CATALOGUE
    assert committed.exists(), f"{committed} is missing: run `{UPDATE_COMMAND}` and commit it."
    assert not header_is_fuzzy(committed), f"{committed}: delete '#, fuzzy' above the header."

    problems = {k: v for k, v in catalogue_problems(committed, merged_catalogues[app]).items() if v}

    report = "".join(
        f"\n  {kind}:" + "".join(f"\n    - {entry}" for entry in entries)
        for kind, entries in problems.items()
    )
    if problems:
        pytest.fail(
            f"{committed.relative_to(ROOT)} is out of step with the sources:{report}\n"
            f"Fix: run `{UPDATE_COMMAND}`, write each French msgstr in that file, delete the "
            "'#, fuzzy' lines you checked, and commit it (docs/ui.md, 'Translations').",
            pytrace=False,
        )


def test_the_po_reader_sees_what_the_check_relies_on(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        '#, fuzzy\nmsgid ""\nmsgstr ""\n"Language: fr\\n"\n\n'
        '#: a.py\nmsgid "Done"\nmsgstr "Fait"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s case"\nmsgstr "%(n)s dossier"\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgstr ""\n\n'
        'msgid ""\n"Two "\n"lines"\nmsgid_plural "Many"\nmsgstr[0] "Deux"\nmsgstr[1] ""\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Parti"\n',
        encoding="utf-8",
    )

    entries = {e.msgid: e for e in read_po(po)}

    assert set(entries) == {"Done", "%(n)s case", "May", "Two lines", "Gone"}
    assert entries["Done"].translated and not entries["Done"].fuzzy
    assert entries["%(n)s case"].fuzzy
    assert entries["May"].key == ("month", "May") and not entries["May"].translated
    assert not entries["Two lines"].translated  # one plural form is empty
    assert entries["Gone"].obsolete
    assert header_is_fuzzy(po)
    problems = catalogue_problems(po, po)
    assert [str(e) for e in problems["without a translation (empty msgstr)"]] == [
        "'May' (context 'month')",
        "'Two lines'",
    ]


# ---- which language a request gets ----


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang> in the page"
    return match.group(1)


def test_the_browser_language_decides_until_a_choice(client, db):
    assert html_lang(client.get(reverse("login"))) == "en"

    french = client.get(reverse("login"), headers={"accept-language": "fr-FR,fr;q=0.9"})

    assert html_lang(french) == "fr"
    assert "Se connecter" in french.content.decode()
    assert "Identifiant" in french.content.decode()
    unknown = client.get(reverse("login"), headers={"accept-language": "de-DE"})
    assert html_lang(unknown) == "en"


def test_choice_on_the_login_page_is_saved_on_the_user_who_logs_in(client, investigator_a):
    login_url = reverse("login")

    switched = client.post(reverse("set_language"), {"language": "fr", "next": login_url})

    assert switched.status_code == 302 and switched["Location"] == login_url
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert html_lang(client.get(login_url, headers={"accept-language": "en"})) == "fr"
    investigator_a.refresh_from_db()
    assert investigator_a.language == ""  # nobody signed in yet

    client.post(login_url, {"username": "inv_a", "password": PASSWORD})

    investigator_a.refresh_from_db()
    assert investigator_a.language == "fr"
    assert SESSION_CHOICE not in client.session
    client.cookies.pop(django_settings.LANGUAGE_COOKIE_NAME)
    home = client.get(reverse("home"), headers={"accept-language": "en"})
    assert html_lang(home) == "fr" and "Bienvenue" in home.content.decode()


def test_a_cookie_left_on_a_shared_computer_does_not_overwrite_a_saved_choice(
    client, investigator_a, coordinator
):
    User.objects.filter(pk=coordinator.pk).update(language="en")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"  # someone else chose, long ago

    client.post(reverse("login"), {"username": "coord", "password": PASSWORD})

    coordinator.refresh_from_db()
    assert coordinator.language == "en"
    assert html_lang(client.get(reverse("home"))) == "en"


def test_signed_in_choice_is_saved_and_beats_the_browser(client, investigator_a):
    client.force_login(investigator_a)

    response = client.post(
        reverse("set_language"), {"language": "fr", "next": reverse("crf:case_list")}
    )

    assert response.status_code == 302 and response["Location"] == reverse("crf:case_list")
    investigator_a.refresh_from_db()
    assert investigator_a.language == "fr"
    client.cookies.clear()
    client.force_login(investigator_a)  # a new session: only the user row remembers
    listing = client.get(reverse("crf:case_list"), headers={"accept-language": "en-GB"})
    assert html_lang(listing) == "fr" and "Dossiers" in listing.content.decode()


def test_no_saved_choice_follows_the_browser_when_signed_in(client, investigator_a):
    client.force_login(investigator_a)

    assert html_lang(client.get(reverse("home"), headers={"accept-language": "fr"})) == "fr"
    assert html_lang(client.get(reverse("home"), headers={"accept-language": "en"})) == "en"


@pytest.mark.parametrize("language", ["de", "", "fr-FR", "x" * 500])
def test_an_unknown_language_is_refused_and_says_which_to_use(client, investigator_a, language):
    client.force_login(investigator_a)

    response = client.post(reverse("set_language"), {"language": language, "next": "/"})

    assert response.status_code == 400
    text = response.content.decode()
    assert "“language”" in text and "en, fr" in text
    investigator_a.refresh_from_db()
    assert investigator_a.language == ""


@pytest.mark.parametrize("next_url", ["https://elsewhere.example/", "//elsewhere.example/", ""])
def test_next_outside_the_registry_goes_home(client, db, next_url):
    response = client.post(reverse("set_language"), {"language": "fr", "next": next_url})

    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_get_does_not_switch(client, db):
    assert client.get(reverse("set_language"), {"language": "fr"}).status_code == 405


# ---- pages in French ----


def test_error_pages_speak_french_even_without_a_request():
    with translation.override("fr"):
        server_error = render_to_string("500.html")
        not_found = render_to_string("404.html")

    assert '<html lang="fr">' in server_error and "<h1>Erreur du serveur</h1>" in server_error
    assert "<h1>Page introuvable</h1>" in not_found


def test_a_missing_case_is_not_found_in_french(client, investigator_a):
    client.force_login(investigator_a)
    User.objects.filter(pk=investigator_a.pk).update(language="fr")

    response = client.get(reverse("crf:case_detail", args=["LE-ZZZZZZZ"]))

    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.content.decode()
    assert "LE-ZZZZZZZ" not in response.content.decode()


def test_memoised_translations_follow_the_active_language():
    from crf.models import HaematologicalDisease
    from registry import i18n

    seen = {}
    for language in ("fr", "en", "fr"):
        with translation.override(language):
            field = HaematologicalDisease._meta.get_field("disease")
            assert i18n.gettext("not entered") == translation.gettext("not entered")
            assert i18n.field_label(HaematologicalDisease, "disease") == str(field.verbose_name)
            assert i18n.field_choice(HaematologicalDisease, "disease", "mds") == str(
                dict(field.flatchoices)["mds"]
            )
            assert i18n.field_choice(HaematologicalDisease, "disease", "zzz") == "zzz"
            verbose = str(HaematologicalDisease._meta.verbose_name)
            assert i18n.model_name(HaematologicalDisease) == verbose
            seen[language] = i18n.gettext("not entered")
    assert seen == {"fr": "non saisi", "en": "not entered"}


def test_a_pinned_language_is_the_one_active_on_entry():
    from registry import i18n

    before = translation.get_language()
    with translation.override("fr"):
        with i18n.language_pinned():
            assert i18n.gettext("not entered") == "non saisi"
            with i18n.language_pinned():  # nested
                assert i18n.gettext("not entered") == "non saisi"
            assert i18n.gettext("not entered") == "non saisi"
        with translation.override("en"):  # unpinned again: the active language decides
            assert i18n.gettext("not entered") == "not entered"
    assert translation.get_language() == before


def test_the_choice_label_filter_shows_what_get_display_shows_in_every_language():
    """`{{ row|choice_label:"f" }}` (registry.templatetags.choices) replaces Django's
    `row.get_f_display` in the templates: the same text for every code of every coded field
    of every model, in each language, and a code no longer among the choices as stored."""
    from django.apps import apps
    from django.template import Context, Template

    from crf.models import HaematologicalDisease
    from registry.templatetags.choices import choice_label

    coded = [
        (model, f)
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        for f in model._meta.concrete_fields
        if f.choices and not f.is_relation
    ]
    assert len(coded) > 100
    for language, _name in django_settings.LANGUAGES:
        with translation.override(language):
            for model, f in coded:
                row = model()
                for code in [*dict(f.flatchoices), "a_retired_code"]:
                    setattr(row, f.attname, code)
                    shown = str(getattr(row, f"get_{f.name}_display")())  # as rendered
                    assert str(choice_label(row, f.name)) == shown, (model, f, code, language)
    template = Template('{% load choices %}{{ row|choice_label:"disease"|default:"-" }}')
    with translation.override("fr"):
        assert template.render(Context({"row": HaematologicalDisease(disease="")})) == "-"
        assert template.render(Context({"row": None})) == "-"  # no row: nothing, as before
        assert template.render(Context({})) == "-"
        rendered = template.render(Context({"row": HaematologicalDisease(disease="mds")}))
        assert rendered == str(
            dict(HaematologicalDisease._meta.get_field("disease").flatchoices)["mds"]
        )


def test_no_template_rebuilds_a_choice_list_to_show_one_label():
    """Templates show a coded value with `choice_label` (registry.templatetags.choices): a
    `get_<field>_display` call there would rebuild and translate the whole choice list."""
    calls = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for app in APPS
        for path in sorted((ROOT / app / "templates").rglob("*.html"))
        for match in re.finditer(r"\bget_\w+_display\b", path.read_text())
    ]
    assert not calls, 'use {{ row|choice_label:"field" }} instead:\n' + "\n".join(calls)
