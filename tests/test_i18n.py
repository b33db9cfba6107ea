"""Languages: the catalogs are complete and compiled, the switcher keeps the choice, numbers and dates follow it."""

import datetime
import gettext
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from ppp.formatting import format_date, format_datetime, format_money

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["fr", "es"]


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))


# --- Catalogs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    po = catalog(language)

    assert len(po) > 500
    assert not po.metadata_is_fuzzy
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
    assert [entry.msgid for entry in po.obsolete_entries()] == []
    for entry in po:
        if entry.msgid_plural:
            assert all(form.strip() for form in entry.msgstr_plural.values()), entry.msgid


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_po_file(language):
    """The committed .mo is what Django reads: it must hold exactly the .po's translations (run
    ``manage.py compilemessages`` after editing a .po)."""
    po = catalog(language)
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "django.mo", "rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)._catalog

    expected = {}
    for entry in po.translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index, form in entry.msgstr_plural.items():
                expected[(key, int(index))] = form
        else:
            expected[key] = entry.msgstr
    compiled.pop("", None)  # the header
    assert compiled == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    """A translation that drops or renames ``{name}`` or ``%(name)s`` would fail at run time."""
    import re

    def placeholders(text):
        return sorted(re.findall(r"(?<!\{)\{[^{}]*\}(?!\})|%\([a-z_]+\)[sd]", text))

    for entry in catalog(language):
        if entry.msgid_plural:
            for index, form in entry.msgstr_plural.items():
                source = entry.msgid if int(index) == 0 else entry.msgid_plural
                assert placeholders(form) == placeholders(source), (entry.msgid, form)
        else:
            assert placeholders(entry.msgstr) == placeholders(entry.msgid), entry.msgid


# --- Formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "money", "day", "moment"),
    [
        ("en-gb", "1,234,567.89\xa0EUR", "3 Dec 2026", "3 Dec 2026, 14:05"),
        ("fr", "1\xa0234\xa0567,89\xa0EUR", "3 déc. 2026", "3 déc. 2026, 14:05"),
        ("es", "1.234.567,89\xa0EUR", "3 dic. 2026", "3 dic. 2026, 14:05"),
    ],
)
def test_numbers_and_dates_follow_the_language(language, money, day, moment, settings):
    settings.TIME_ZONE = "UTC"
    with translation.override(language):
        assert format_money(Decimal("1234567.89"), "EUR") == money
        assert format_date(datetime.date(2026, 12, 3)) == day
        assert format_datetime(datetime.datetime(2026, 12, 3, 14, 5, tzinfo=datetime.UTC)) == moment


# --- Switcher ----------------------------------------------------------------------------------


def test_the_admin_header_offers_the_languages_and_the_choice_persists(officer_client):
    index = officer_client.get(reverse("admin:index"))
    html = index.content.decode()
    assert f'action="{reverse("set_language")}"' in html
    for code, name in [("en-gb", "British English"), ("fr", "Français"), ("es", "Español")]:
        assert f'value="{code}"' in html and name in html

    switched = officer_client.post(reverse("set_language"), {"language": "fr", "next": reverse("admin:index")})
    assert switched.status_code == 302
    assert switched["Location"] == reverse("admin:index")

    # Every later page, admin or board, is French until the user switches again.
    assert "Se déconnecter" in officer_client.get(reverse("admin:index")).content.decode()
    assert '<html lang="fr"' in officer_client.get(reverse("boards:project_list")).content.decode()

    officer_client.post(reverse("set_language"), {"language": "es", "next": reverse("admin:index")})
    assert "Cerrar sesión" in officer_client.get(reverse("admin:index")).content.decode()


def test_the_board_pages_offer_the_switcher(board_client):
    html = board_client.get(reverse("boards:project_list")).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="next" value="/boards/"' in html


def test_a_browser_language_is_followed_until_the_user_chooses(board_client):
    page = board_client.get(reverse("boards:project_list"), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert "Sus comités de proyecto" in page.content.decode()

    page = board_client.get(reverse("boards:project_list"), HTTP_ACCEPT_LANGUAGE="de-DE")
    assert "Your project boards" in page.content.decode()  # an unsupported language falls back to English


def test_an_unknown_language_is_not_stored(officer_client):
    officer_client.post(reverse("set_language"), {"language": "xx", "next": reverse("admin:index")})
    assert "Log out" in officer_client.get(reverse("admin:index")).content.decode()
