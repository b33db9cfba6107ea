"""Password guessing is locked out per username and per address, on the admin login and on the partner API's
POST /api/v1/auth/login/ alike (django-axes). The client address is REMOTE_ADDR unless PPP_NUM_PROXIES says
how many proxies to believe, so a forged X-Forwarded-For changes nothing."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.throttling import LoginRateThrottle
from ppp.factories import DEMO_PASSWORD, BoardMemberFactory, OfficerFactory
from ppp.logins import client_address
from procurement.factories import VendorUserFactory

pytestmark = pytest.mark.django_db

API_LOGIN = "/api/v1/auth/login/"
ADMIN_LOGIN = "/admin/login/"
LIMIT = 3
COOLOFF = datetime.timedelta(minutes=15)


@pytest.fixture(autouse=True)
def _lockout_after_three_failures():
    # Lockout records live in the database (rolled back after each test); throttle counters in the cache.
    cache.clear()
    with override_settings(AXES_FAILURE_LIMIT=LIMIT, AXES_COOLOFF_TIME=COOLOFF, PPP_NUM_PROXIES=0):
        yield
    cache.clear()


@pytest.fixture
def login_rate(monkeypatch):
    """Sets the API login throttle's rate (generous by default here, so only the lockout speaks)."""

    def set_rate(rate):
        monkeypatch.setattr(LoginRateThrottle, "THROTTLE_RATES", {**LoginRateThrottle.THROTTLE_RATES, "login": rate})

    set_rate("1000/minute")
    return set_rate


@pytest.fixture
def vendor_user(db):
    return VendorUserFactory().user


def api_login(username, password, address="203.0.113.10", **headers):
    return APIClient().post(API_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def admin_login(username, password, address="203.0.113.10", **headers):
    client = Client()
    response = client.post(
        ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address, **headers
    )
    return client, response


def fail_api_logins(attempts):
    """Fails one API login per (username, address, headers); the last one reaches the limit and is refused."""
    codes = [api_login(username, "wrong", address, **headers).status_code for username, address, headers in attempts]
    assert codes == [401] * (len(attempts) - 1) + [429]


def assert_api_locked_out(response):
    assert response.status_code == 429
    body = json.loads(response.content)
    assert body["status"] == 429
    assert body["code"] == "locked_out"
    assert "locked" in body["detail"]
    assert body["fields"] == {}
    assert int(response["Retry-After"]) == COOLOFF.total_seconds()


def assert_admin_locked_out(client, response):
    assert response.status_code == 429
    assert "Sign-in is locked for now" in response.content.decode()
    assert int(response["Retry-After"]) == COOLOFF.total_seconds()
    assert "_auth_user_id" not in client.session  # the right password did not log anyone in


# --- API login -----------------------------------------------------------------------------------------


def test_api_a_username_is_locked_after_failures_from_many_addresses(vendor_user, login_rate):
    fail_api_logins([(vendor_user.username, f"198.51.100.{n}", {}) for n in range(LIMIT)])

    response = api_login(vendor_user.username, DEMO_PASSWORD, address="192.0.2.200")

    assert_api_locked_out(response)
    assert not AuthToken.objects.exists()


def test_api_an_address_is_locked_after_failures_over_many_usernames(vendor_user, login_rate):
    fail_api_logins([(f"guess{n}", "198.51.100.7", {}) for n in range(LIMIT)])

    assert_api_locked_out(api_login(vendor_user.username, DEMO_PASSWORD, address="198.51.100.7"))
    # The username itself is not to blame: from elsewhere it logs in.
    assert api_login(vendor_user.username, DEMO_PASSWORD, address="192.0.2.1").status_code == 200


def test_api_fewer_failures_than_the_limit_do_not_lock(vendor_user, login_rate):
    for _ in range(LIMIT - 1):
        api_login(vendor_user.username, "wrong")

    assert api_login(vendor_user.username, DEMO_PASSWORD).status_code == 200


def test_api_lockout_lifts_after_the_cool_off(vendor_user, login_rate, time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 15, 9, 0, tzinfo=datetime.UTC), tick=False)
    for _ in range(LIMIT):
        api_login(vendor_user.username, "wrong")

    time_machine.move_to(datetime.datetime(2026, 6, 15, 9, 14, tzinfo=datetime.UTC), tick=False)
    assert_api_locked_out(api_login(vendor_user.username, DEMO_PASSWORD))  # also restarts the wait

    time_machine.move_to(datetime.datetime(2026, 6, 15, 9, 29, 1, tzinfo=datetime.UTC), tick=False)
    assert api_login(vendor_user.username, DEMO_PASSWORD).status_code == 200


def test_api_lockout_lifts_when_an_operator_resets_the_username(vendor_user, login_rate):
    for n in range(LIMIT):
        api_login(vendor_user.username, "wrong", address=f"198.51.100.{n}")

    call_command("axes_reset_username", vendor_user.username, verbosity=0)

    assert api_login(vendor_user.username, DEMO_PASSWORD).status_code == 200


# --- Admin login ---------------------------------------------------------------------------------------


def test_admin_a_username_is_locked_after_failures_from_many_addresses(login_rate):
    officer = OfficerFactory()
    for n in range(LIMIT - 1):
        _, response = admin_login(officer.username, "wrong", address=f"198.51.100.{n}")
        assert response.status_code == 200  # the form again, with its error
        assert "Please enter the correct username and password" in response.content.decode()
    client, response = admin_login(officer.username, "wrong", address="198.51.100.99")
    assert_admin_locked_out(client, response)  # the failure that reaches the limit already says so

    client, response = admin_login(officer.username, DEMO_PASSWORD, address="192.0.2.200")

    assert_admin_locked_out(client, response)
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_admin_an_address_is_locked_after_failures_over_many_usernames():
    officer = OfficerFactory()
    for n in range(LIMIT):
        admin_login(f"guess{n}", "wrong", address="198.51.100.7")

    client, response = admin_login(officer.username, DEMO_PASSWORD, address="198.51.100.7")
    assert_admin_locked_out(client, response)

    client, response = admin_login(officer.username, DEMO_PASSWORD, address="192.0.2.1")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_lockout_lifts_after_the_cool_off(time_machine):
    officer = OfficerFactory()
    time_machine.move_to(datetime.datetime(2026, 6, 15, 9, 0, tzinfo=datetime.UTC), tick=False)
    for _ in range(LIMIT):
        admin_login(officer.username, "wrong")

    time_machine.move_to(datetime.datetime(2026, 6, 15, 9, 15, 1, tzinfo=datetime.UTC), tick=False)
    _, response = admin_login(officer.username, DEMO_PASSWORD)

    assert response.status_code == 302


def test_failures_on_either_login_count_for_both(vendor_user, login_rate):
    officer = OfficerFactory()
    api_login(officer.username, "wrong", address="198.51.100.1")
    admin_login(officer.username, "wrong", address="198.51.100.2")
    api_login(officer.username, "wrong", address="198.51.100.3")

    client, response = admin_login(officer.username, DEMO_PASSWORD, address="192.0.2.9")

    assert_admin_locked_out(client, response)


def test_officers_see_and_lift_lockouts_in_the_admin_and_board_members_do_not(vendor_user, login_rate):
    for n in range(LIMIT):
        api_login(vendor_user.username, "wrong", address=f"198.51.100.{n}")
    changelist = reverse("admin:axes_accessattempt_changelist")
    officer, board = Client(), Client()
    officer.force_login(OfficerFactory())
    board.force_login(BoardMemberFactory())

    listing = officer.get(changelist, {"q": vendor_user.username})
    assert listing.status_code == 200
    assert "198.51.100.2" in listing.content.decode()
    assert board.get(changelist).status_code == 403

    from axes.models import AccessAttempt

    selected = list(AccessAttempt.objects.filter(username=vendor_user.username).values_list("pk", flat=True))
    response = officer.post(changelist, {"action": "delete_selected", "_selected_action": selected, "post": "yes"})
    assert response.status_code == 302
    assert api_login(vendor_user.username, DEMO_PASSWORD).status_code == 200


def test_a_lockout_reported_under_api_by_the_middleware_uses_the_api_error_shape():
    # The API login answers lockouts itself; any other authenticate() under /api/ still gets JSON, not a page.
    from ppp.logins import lockout_response

    request = RequestFactory().post("/api/v1/some/other/login/", REMOTE_ADDR="198.51.100.7")

    assert_api_locked_out(lockout_response(request))


# --- Client address: no proxy is trusted unless configured --------------------------------------------


def test_a_forged_x_forwarded_for_does_not_escape_the_address_lockout(vendor_user, login_rate):
    fail_api_logins([(f"guess{n}", "198.51.100.7", {"HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"}) for n in range(LIMIT)])

    response = api_login(vendor_user.username, DEMO_PASSWORD, address="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert_api_locked_out(response)


def test_a_forged_x_forwarded_for_does_not_escape_the_login_throttle(login_rate):
    login_rate("2/minute")

    responses = [
        api_login(f"guess{n}", "wrong", address="198.51.100.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in range(3)
    ]

    assert [response.status_code for response in responses] == [401, 401, 429]
    assert responses[-1].json()["code"] == "throttled"


@override_settings(PPP_NUM_PROXIES=1)
def test_behind_one_proxy_the_address_it_appended_is_the_client(vendor_user, login_rate):
    proxy = "10.0.0.2"
    # The client forges the left part; the proxy appends the address it really saw (right-most).
    fail_api_logins(
        [(f"guess{n}", proxy, {"HTTP_X_FORWARDED_FOR": f"192.0.2.{n}, 203.0.113.50"}) for n in range(LIMIT)]
    )

    locked = api_login(vendor_user.username, DEMO_PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.50")
    other_client = api_login(vendor_user.username, DEMO_PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.51")

    assert_api_locked_out(locked)
    assert other_client.status_code == 200  # the proxy's own address is not locked for everyone


@override_settings(PPP_NUM_PROXIES=1)
def test_behind_one_proxy_the_login_throttle_counts_per_client(login_rate):
    login_rate("2/minute")

    def attempt(username, forwarded):
        return api_login(username, "wrong", address="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    first = [attempt(f"guess{n}", f"192.0.2.{n}, 203.0.113.50") for n in range(3)]

    assert [response.status_code for response in first] == [401, 401, 429]
    assert first[-1].json()["code"] == "throttled"
    assert attempt("other", "203.0.113.51").status_code == 401


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, "198.51.100.7"),
        (0, "192.0.2.1", "198.51.100.7"),  # no proxy trusted: the header is the client's word
        (1, None, "198.51.100.7"),
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "192.0.2.1, 203.0.113.5", "203.0.113.5"),
        (2, "192.0.2.1, 203.0.113.5, 10.0.0.3", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # fewer entries than proxies: the left-most there is
        (1, "192.0.2.1, not-an-address", "198.51.100.7"),  # not from our proxy: fall back to the peer
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(proxies, forwarded, expected):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().post(API_LOGIN, REMOTE_ADDR="198.51.100.7", **headers)

    with override_settings(PPP_NUM_PROXIES=proxies):
        assert client_address(request) == expected


# --- Settings from the environment --------------------------------------------------------------------

SHOW_LOGIN_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.PPP_NUM_PROXIES, s.REST_FRAMEWORK['NUM_PROXIES'], s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
)


def test_by_default_no_proxy_is_trusted_and_five_failures_lock_for_fifteen_minutes():
    from .test_settings import _manage

    result = _manage("shell", "-v", "0", "-c", SHOW_LOGIN_SETTINGS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0", "5", "0:15:00"]


def test_the_environment_sets_proxies_for_throttle_and_lockout_alike_and_the_lockout_limits():
    from .test_settings import _manage

    result = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        SHOW_LOGIN_SETTINGS,
        PPP_NUM_PROXIES="2",
        PPP_LOGIN_FAILURE_LIMIT="8",
        PPP_LOGIN_COOLOFF_MINUTES="60",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "2", "8", "1:00:00"]
