"""Every answer under /api/ is JSON in the one error shape {"status", "code", "detail", "fields"}, with DEBUG on
or off: bad bodies, bad headers, unknown paths and bugs are 4xx/5xx a client can read, never an HTML page or a
500 for something the client sent. Pages outside /api/ keep Django's HTML."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from api.parsers import MAX_JSON_DEPTH
from api.views import MeView
from ppp.factories import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
ME = "/api/v1/me/"


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def assert_error(response, status, code=None, fields=None):
    """The response is the API's JSON error: right status, JSON content type, the four keys."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"status", "code", "detail", "fields"} <= set(body)
    assert body["status"] == status
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    if fields is not None:
        assert body["fields"] == fields
    return body


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- Bodies ----------------------------------------------------------------------------------


def test_deeply_nested_json_on_the_unauthenticated_login_is_a_400_not_a_recursion_error(debug):
    response = APIClient().post(LOGIN, nested(1000), content_type="application/json")

    body = assert_error(response, 400, "parse_error", fields={})
    assert f"more than {MAX_JSON_DEPTH} levels" in body["detail"]


def test_a_nested_value_inside_a_field_is_refused_the_same_way(vendor_a):
    body = f'{{"username": {nested(MAX_JSON_DEPTH + 5)}, "password": "x"}}'

    response = APIClient().post(LOGIN, body, content_type="application/json")

    assert_error(response, 400, "parse_error", fields={})


def test_json_nested_within_the_limit_still_reaches_the_fields(vendor_a):
    body = f'{{"username": {nested(MAX_JSON_DEPTH - 2)}, "password": "x"}}'

    response = APIClient().post(LOGIN, body, content_type="application/json")

    assert_error(response, 400, "invalid")
    assert "username" in response.json()["fields"]


def test_a_body_over_the_upload_limit_is_a_json_400(debug, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = APIClient().post(LOGIN, '{"username": "%s"}' % ("x" * 2000), content_type="application/json")

    body = assert_error(response, 400, "too_large", fields={})
    assert "1,000 bytes" in body["detail"]


def test_too_many_multipart_fields_is_a_json_400(debug, settings, vendor_a, client_a):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"field{number}": "x" for number in range(20)}

    response = client_a.post(f"/api/v1/deliverables/{vendor_a.deliverable.pk}/evidence/", fields, format="multipart")

    assert_error(response, 400, "too_many_fields", fields={})


def test_too_many_multipart_files_is_a_json_400(debug, settings, vendor_a, client_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = {f"file{number}": SimpleUploadedFile(f"{number}.pdf", b"%PDF-1.7") for number in range(5)}

    response = client_a.post(f"/api/v1/deliverables/{vendor_a.deliverable.pk}/evidence/", files, format="multipart")

    assert_error(response, 400, "too_many_files", fields={})


def test_a_broken_multipart_body_is_a_json_400(vendor_a, client_a):
    response = client_a.generic(
        "POST",
        f"/api/v1/deliverables/{vendor_a.deliverable.pk}/evidence/",
        b"not multipart at all",
        content_type="multipart/form-data",  # and no boundary
    )

    assert_error(response, 400, "parse_error")


# --- Headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [b"\xff\xfe", b"abc\x00def", "caf\u00e9".encode()], ids=["ff-fe", "nul", "utf-8"])
def test_an_undecodable_token_is_a_401_not_a_server_error(debug, token):
    # The test client passes headers as WSGI does: bytes as latin-1 text.
    client = APIClient(HTTP_AUTHORIZATION="Token " + token.decode("latin-1"))

    response = client.get(ME)

    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"


def test_415_for_a_body_format_the_endpoint_does_not_read(client_a, vendor_a):
    response = client_a.generic(
        "PATCH", f"/api/v1/deliverables/{vendor_a.deliverable.pk}/", "progress=5", content_type="text/plain"
    )

    assert_error(response, 415, "unsupported_media_type")


def test_406_when_the_client_accepts_only_html(client_a):
    assert_error(client_a.get(ME, HTTP_ACCEPT="text/html"), 406, "not_acceptable")


def test_405_names_the_allowed_methods(client_a):
    response = client_a.delete(ME)

    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_403_when_an_admin_session_posts_without_its_csrf_token(officer, vendor_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post(f"/api/v1/deliverables/{vendor_a.submitted.pk}/accept/", {}, format="json")

    body = assert_error(response, 403, "permission_denied")
    assert "CSRF" in body["detail"]


def test_429_when_the_login_rate_is_spent(settings, vendor_a):
    # The login throttle, not the lockout after a few failed passwords (tests/test_login_lockout.py), answers here.
    settings.AXES_FAILURE_LIMIT = 1000
    client = APIClient()
    for _ in range(30):
        response = client.post(LOGIN, {"username": vendor_a.user.username, "password": "wrong"})
        if response.status_code == 429:
            break

    assert_error(response, 429, "throttled")


# --- Paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/nothing", "/api/v1/deliverables/abc/"])
def test_an_unknown_api_path_is_a_json_404(debug, path):
    assert_error(APIClient().get(path), 404, "not_found", fields={})


def test_login_without_the_trailing_slash_is_a_json_404_naming_the_right_path(debug, vendor_a):
    # Not a redirect (it would turn the POST into a GET) and, with DEBUG on, not Django's APPEND_SLASH error.
    response = APIClient().post(LOGIN.rstrip("/"), {"username": vendor_a.user.username, "password": DEMO_PASSWORD})

    body = assert_error(response, 404, "not_found")
    assert body["detail"].endswith(": /api/v1/auth/login/")


def test_get_without_the_trailing_slash_is_a_json_404_too(debug, client_a):
    body = assert_error(client_a.get(ME.rstrip("/")), 404, "not_found")

    assert body["detail"].endswith(": /api/v1/me/")


def test_pages_outside_the_api_keep_django_html_and_slash_redirects(debug, officer_client):
    assert officer_client.get("/admin/no-such-page/").status_code in (302, 404)
    missing = officer_client.get("/boards/no-such-board/")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("text/html")
    assert officer_client.get("/admin").status_code == 301  # APPEND_SLASH still helps people


# --- Bugs ------------------------------------------------------------------------------------


def test_an_uncaught_exception_is_a_json_500_and_is_logged(debug, client_a, monkeypatch, caplog):
    def broken(self, request):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(MeView, "get", broken)
    client_a.raise_request_exception = False

    response = client_a.get(ME)

    assert_error(response, 500, "server_error", fields={})
    assert b"ZeroDivisionError" not in response.content
    errors = [record for record in caplog.records if record.name == "django.request"]
    assert len(errors) == 1  # logged once, with the traceback
    assert errors[0].exc_info is not None


def test_a_500_outside_the_api_stays_an_html_page(monkeypatch, officer):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    client = Client(raise_request_exception=False)
    client.force_login(officer)
    monkeypatch.setattr("django.contrib.admin.sites.AdminSite.index", broken)

    response = client.get("/admin/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


# --- Text lengths ----------------------------------------------------------------------------


def test_a_description_over_the_limit_is_a_400_naming_it_and_nothing_is_stored(client_a, vendor_a):
    from ppp import limits
    from projects.models import Deliverable

    response = client_a.patch(
        f"/api/v1/deliverables/{vendor_a.deliverable.pk}/", {"description": "x" * (limits.DESCRIPTION + 1)}
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["description"]
    assert Deliverable.objects.get(pk=vendor_a.deliverable.pk).version == vendor_a.deliverable.version


def test_a_rejection_comment_over_the_limit_is_a_400_naming_it(api_officer_client, vendor_a):
    from ppp import limits

    response = api_officer_client.post(
        f"/api/v1/deliverables/{vendor_a.submitted.pk}/reject/", {"comment": "x" * (limits.NOTE + 1)}
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["comment"]
