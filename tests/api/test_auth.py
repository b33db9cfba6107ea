"""Tokens: obtained with a password or from an officer, stored hashed, expiring, revocable, refused for a
suspended vendor. Every endpoint needs a caller with a role."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from ppp.factories import DEMO_PASSWORD, UserFactory
from procurement.models import Vendor

from .conftest import token_client

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/me/"

EVERY_READ_URL = [
    "/api/v1/me/",
    "/api/v1/agreements/",
    "/api/v1/projects/",
    "/api/v1/milestones/",
    "/api/v1/deliverables/",
]


def test_vendor_user_logs_in_and_reads_who_they_are(vendor_a):
    response = APIClient().post(LOGIN, {"username": vendor_a.user.username, "password": DEMO_PASSWORD})

    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["expiry"]
    me = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(ME)
    assert me.status_code == 200
    assert me.json()["vendor"]["legal_name"] == "Alpha Builders Ltd"
    assert me.json()["is_officer"] is False


def test_tokens_are_stored_hashed(vendor_a):
    token = APIClient().post(LOGIN, {"username": vendor_a.user.username, "password": DEMO_PASSWORD}).json()["token"]

    stored = AuthToken.objects.get(user=vendor_a.user)
    assert token not in (stored.digest, stored.token_key)
    assert stored.expiry > timezone.now() + datetime.timedelta(days=29)


def test_wrong_password_is_a_401_without_a_token(vendor_a):
    response = APIClient().post(LOGIN, {"username": vendor_a.user.username, "password": "nope"})

    assert response.status_code == 401
    assert response.json()["detail"] == "Unknown username or wrong password."
    assert not AuthToken.objects.exists()


def test_login_requires_both_fields():
    response = APIClient().post(LOGIN, {})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "password"}


def test_officers_do_not_get_tokens_by_password(officer):
    response = APIClient().post(LOGIN, {"username": officer.username, "password": DEMO_PASSWORD})

    assert response.status_code == 403
    assert not AuthToken.objects.exists()


def test_a_suspended_vendor_cannot_log_in(vendor_a):
    Vendor.objects.filter(pk=vendor_a.vendor.pk).update(status=Vendor.Status.SUSPENDED)

    response = APIClient().post(LOGIN, {"username": vendor_a.user.username, "password": DEMO_PASSWORD})

    assert response.status_code == 403
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("status", [Vendor.Status.SUSPENDED, Vendor.Status.DEBARRED])
def test_a_suspended_or_debarred_vendors_tokens_are_refused(vendor_a, client_a, status):
    assert client_a.get(ME).status_code == 200
    Vendor.objects.filter(pk=vendor_a.vendor.pk).update(status=status)

    for url in EVERY_READ_URL:
        response = client_a.get(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "authentication_failed"


def test_a_suspended_vendor_user_with_a_session_is_refused(vendor_a):
    Vendor.objects.filter(pk=vendor_a.vendor.pk).update(status=Vendor.Status.SUSPENDED)
    client = APIClient()
    client.force_login(vendor_a.user)

    assert client.get("/api/v1/deliverables/").status_code == 403


def test_an_expired_token_is_refused(vendor_a):
    _, token = AuthToken.objects.create(user=vendor_a.user, expiry=datetime.timedelta(seconds=-1))

    response = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(ME)

    assert response.status_code == 401


def test_logout_revokes_only_the_token_used(vendor_a):
    first, second = token_client(vendor_a.user), token_client(vendor_a.user)

    assert first.post(LOGOUT).status_code == 204

    assert first.get(ME).status_code == 401
    assert second.get(ME).status_code == 200


def test_logout_all_revokes_every_token(vendor_a):
    first, second = token_client(vendor_a.user), token_client(vendor_a.user)

    assert first.post("/api/v1/auth/logout-all/").status_code == 204

    assert second.get(ME).status_code == 401
    assert not AuthToken.objects.filter(user=vendor_a.user).exists()


def test_a_user_holds_a_limited_number_of_live_tokens(vendor_a, settings):
    for _ in range(10):
        AuthToken.objects.create(user=vendor_a.user)
    AuthToken.objects.create(user=vendor_a.user, expiry=datetime.timedelta(seconds=-1))  # expired: not counted

    response = APIClient().post(LOGIN, {"username": vendor_a.user.username, "password": DEMO_PASSWORD})

    assert response.status_code == 403
    assert "10 tokens" in response.json()["detail"]


def test_a_revoked_token_stops_working(vendor_a, client_a):
    AuthToken.objects.filter(user=vendor_a.user).delete()  # what "delete" in the admin does

    assert client_a.get(ME).status_code == 401


@pytest.mark.parametrize("url", EVERY_READ_URL)
def test_anonymous_callers_get_401_with_a_challenge(anon_client, url):
    response = anon_client.get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("url", EVERY_READ_URL)
def test_a_user_with_no_vendor_and_no_staff_role_gets_403(db, url):
    assert token_client(UserFactory()).get(url).status_code == 403


def test_a_garbage_token_is_a_401(db):
    response = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token").get(ME)

    assert response.status_code == 401


def test_officers_use_their_admin_session(api_officer_client, officer):
    response = api_officer_client.get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "username": officer.username,
        "email": officer.email,
        "is_officer": True,
        "vendor": None,
    }


def test_login_attempts_are_throttled(vendor_a, settings):
    from api.throttling import LoginRateThrottle

    client = APIClient()
    rates = {**LoginRateThrottle.THROTTLE_RATES, "login": "3/minute"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LoginRateThrottle, "THROTTLE_RATES", rates)
        codes = [client.post(LOGIN, {"username": "x", "password": "y"}).status_code for _ in range(4)]

    assert codes == [401, 401, 401, 429]


def test_a_users_tokens_share_one_rate_and_a_fresh_login_does_not_reset_it(vendor_a):
    from api.throttling import TokenRateThrottle

    first, second = token_client(vendor_a.user), token_client(vendor_a.user)
    rates = {**TokenRateThrottle.THROTTLE_RATES, "token": "2/minute"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
        codes = [first.get(ME).status_code, second.get(ME).status_code, first.get(ME).status_code]
        # Given the rate is spent, logging in again for a fresh token buys nothing.
        login = APIClient().post(LOGIN, {"username": vendor_a.user.username, "password": DEMO_PASSWORD})
        fresh = APIClient(HTTP_AUTHORIZATION=f"Token {login.json()['token']}").get(ME)

    assert codes == [200, 200, 429]
    assert login.status_code == 200
    assert fresh.status_code == 429
    assert fresh.json()["code"] == "throttled"
    assert int(fresh["Retry-After"]) > 0


def test_one_users_spent_rate_does_not_limit_another_user(vendor_a, vendor_b):
    from api.throttling import TokenRateThrottle

    rates = {**TokenRateThrottle.THROTTLE_RATES, "token": "1/minute"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
        spent = [token_client(vendor_a.user).get(ME).status_code for _ in range(2)]
        other = token_client(vendor_b.user).get(ME).status_code

    assert spent == [200, 429]
    assert other == 200


def test_officers_issue_tokens_in_the_admin(officer_client, vendor_a):
    response = officer_client.post(
        reverse("admin:knox_authtoken_add"),
        {"user": vendor_a.user.pk, "expiry_0": "2099-01-01", "expiry_1": "00:00:00"},
        follow=True,
    )

    assert response.status_code == 200
    message = next(str(m) for m in response.context["messages"])
    token = message.split(": ", 1)[1].split(" ")[0]
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(ME).status_code == 200


def test_the_admin_issues_tokens_to_vendor_users_only(officer_client, officer):
    response = officer_client.post(
        reverse("admin:knox_authtoken_add"), {"user": officer.pk, "expiry_0": "2099-01-01", "expiry_1": "00:00:00"}
    )

    assert response.status_code == 200  # the form again, with the error
    assert "issued to vendor users only" in response.content.decode()
    assert not AuthToken.objects.exists()


def test_officers_see_and_revoke_tokens_in_the_admin_but_board_members_do_not(officer_client, vendor_a):
    from django.test import Client

    from ppp.factories import BoardMemberFactory

    token = AuthToken.objects.create(user=vendor_a.user)[0]
    board = Client()
    board.force_login(BoardMemberFactory())

    assert officer_client.get(reverse("admin:knox_authtoken_changelist")).status_code == 200
    assert board.get(reverse("admin:knox_authtoken_changelist")).status_code == 403
    response = officer_client.post(reverse("admin:knox_authtoken_delete", args=[token.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not AuthToken.objects.exists()
