"""Every page an officer or a board reads, rendered in French and in Spanish: no key English label is left, the
translated labels are there, and amounts and dates follow the language."""

import csv
import io
import re

import pypdf
import pytest
from django.contrib import admin
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from ppp.formatting import format_date
from projects import alerts
from projects.models import Alert, Notification

pytestmark = pytest.mark.django_db

# English labels a user would notice left untranslated on a French or Spanish page.
KEY_LABELS = ["Milestones", "Deliverables", "Overdue", "Due date", "Payment", "Status", "Agreement", "Vendor"]
LABELS = {
    "fr": {
        "Milestones": "Jalons",
        "Deliverables": "Livrables",
        "Overdue": "En retard",
        "Due date": "Date d'échéance",
        "Due": "Échéance",
        "Status": "Statut",
        "Agreement": "Contrat",
        "Vendor": "Prestataire",
        "Payment": "Paiement",
    },
    "es": {
        "Milestones": "Hitos",
        "Deliverables": "Entregables",
        "Overdue": "Atrasado",
        "Due date": "Fecha de vencimiento",
        "Due": "Vence",
        "Status": "Estado",
        "Agreement": "Contrato",
        "Vendor": "Proveedor",
        "Payment": "Pago",
    },
}
LANGUAGES = ["fr", "es"]
DOMAIN_APPS = {"procurement", "projects", "payments", "opendata", "webhooks"}


def visible_text(html: str) -> str:
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&amp;", "&")


def untranslated(text: str) -> list[str]:
    return [label for label in KEY_LABELS if re.search(rf"\b{label}\b", text)]


def use_language(client, language):
    client.post(reverse("set_language"), {"language": language, "next": "/"})


@pytest.fixture
def language_client(request, client, officer, report_project):
    report_project.board_members.add(officer)
    client.force_login(officer)
    use_language(client, request.param)
    client.language = request.param
    return client


def parametrize_languages():
    return pytest.mark.parametrize("language_client", LANGUAGES, indirect=True)


# --- Admin -------------------------------------------------------------------------------------


@parametrize_languages()
def test_admin_index_and_dashboard(language_client):
    text = visible_text(language_client.get(reverse("admin:index")).content.decode())

    assert untranslated(text) == []
    expected = {
        "fr": ["En un coup d'œil", "Jalons en retard", "Prestataires"],
        "es": ["De un vistazo", "Hitos atrasados"],
    }
    for label in expected[language_client.language]:
        assert label in text


@parametrize_languages()
def test_every_domain_changelist(language_client):
    opened = 0
    for model in admin.site._registry:
        if model._meta.app_label not in DOMAIN_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = language_client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        assert untranslated(text) == [], url
        opened += 1
    assert opened >= 10

    milestones = visible_text(language_client.get(reverse("admin:projects_milestone_changelist")).content.decode())
    # The list shows the due date in a "Due" column (with the days late under it).
    for english in ["Due", "Status", "Milestones"]:
        assert LABELS[language_client.language][english].lower() in milestones.lower()


@parametrize_languages()
def test_a_change_form(language_client, report_project):
    milestone = report_project.milestones.get(title="Security accreditation")
    response = language_client.get(reverse("admin:projects_milestone_change", args=[milestone.pk]))
    text = visible_text(response.content.decode())

    assert untranslated(text) == []
    assert LABELS[language_client.language]["Due date"] in text
    # The date inputs are written and read in the local format.
    assert milestone.due_date.strftime("%d/%m/%Y") in response.content.decode()


@parametrize_languages()
def test_notifications_page(language_client, officer, report_project):
    late = report_project.milestones.get(title="Security accreditation")
    alert = Alert.objects.create(milestone=late, level=1, due_date=late.due_date, scan_date=timezone.localdate())
    Notification.objects.create(user=officer, alert=alert)

    text = visible_text(language_client.get(reverse("boards:notifications")).content.decode())

    assert untranslated(text) == []
    assert {"fr": "Vos notifications", "es": "Sus notificaciones"}[language_client.language] in text
    assert {"fr": "Niveau 1", "es": "Nivel 1"}[language_client.language] in text


# --- Board pages, PDF, CSV ---------------------------------------------------------------------


@parametrize_languages()
def test_board_list_and_project_page(language_client, report_project):
    listing = visible_text(language_client.get(reverse("boards:project_list")).content.decode())
    page = visible_text(
        language_client.get(reverse("boards:project_detail", args=[report_project.pk])).content.decode()
    )

    assert untranslated(listing) == []
    assert untranslated(page) == []
    labels = LABELS[language_client.language]
    assert labels["Overdue"] in listing
    for english in ["Milestones", "Agreement", "Deliverables"]:
        assert labels[english] in page
    # 25,000.00 spent by the vendor, in the local number format.
    # (visible_text turns the French no-break thousands separator into a plain space)
    assert {"fr": "25 000,00", "es": "25.000,00"}[language_client.language] in page
    with translation.override(language_client.language):
        assert format_date(report_project.milestones.first().due_date) in page


@parametrize_languages()
def test_milestone_report_pdf(language_client, report_project):
    response = language_client.get(reverse("boards:project_report", args=[report_project.pk]))
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)

    assert untranslated(text) == []
    labels = LABELS[language_client.language]
    for english in ["Milestones", "Agreement", "Status"]:
        assert labels[english] in text
    with translation.override(language_client.language):
        assert format_date(timezone.localdate()) in text  # the report date


@parametrize_languages()
def test_csv_headers(language_client, report_project):
    response = language_client.get(reverse("boards:project_milestones_csv", args=[report_project.pk]))
    header = next(csv.reader(io.StringIO(response.content.decode())))

    assert {"fr": "Date d'échéance", "es": "Fecha de vencimiento"}[language_client.language] in header
    assert "due_date" not in header


# --- Alert email -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_alert_email_is_written_in_the_agencys_language(language, settings, report_project):
    settings.LANGUAGE_CODE = language
    late = report_project.milestones.get(title="Security accreditation")
    soon = report_project.milestones.get(title="Accessibility audit")
    sent = [
        Alert.objects.create(milestone=late, level=1, due_date=late.due_date, scan_date=timezone.localdate()),
        Alert.objects.create(
            milestone=soon, level=Alert.DUE_SOON, due_date=soon.due_date, scan_date=timezone.localdate()
        ),
    ]

    # Whatever language the worker happens to run in, the email is in the agency's, and the worker's stays.
    with translation.override("en-gb"):
        alerts._digest_message("owner@example.org", sent).send()
        assert translation.get_language() == "en-gb"

    message = mail.outbox[-1]
    html = visible_text(message.alternatives[0][0])
    for text in (message.subject, message.body, html):
        assert untranslated(text) == [], text
    expected = {
        "fr": ("1 jalon en retard et 1 à échéance proche", "Niveau 1", "12 jours de retard", "Bonjour"),
        "es": ("1 hito atrasado y 1 vence pronto", "Nivel 1", "12 días de atraso", "Hola"),
    }[language]
    assert message.subject == f"[ppp-tracker] {expected[0]}"
    for phrase in expected[1:]:
        assert phrase.lower() in message.body.lower() and phrase in html
    with translation.override(language):
        assert format_date(late.due_date) in html
