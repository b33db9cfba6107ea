"""Newcomers find the demo logins: on the admin's login page in debug (never in production), and printed again by
the Procfile's banner once the web server answers."""

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from payments.management.commands.demo_logins import site_url, web_address
from ppp.demo import DEMO_PASSWORD
from ppp.factories import BoardMemberFactory, OfficerFactory, UserFactory
from procurement.factories import VendorUserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_users():
    OfficerFactory(username="officer")
    BoardMemberFactory(username="board")
    UserFactory(username="admin", is_staff=True, is_superuser=True)


def test_in_debug_the_login_page_lists_the_demo_logins_that_exist(client, settings, demo_users):
    settings.DEBUG = True

    page = client.get(reverse("admin:login")).content.decode()

    assert 'id="demo-logins"' in page and DEMO_PASSWORD in page
    for username in ("officer", "board", "admin"):
        assert f"<code>{username}</code>" in page
    assert "<code>officer2</code>" not in page  # not seeded here: never listed


def test_in_production_the_login_page_never_shows_them(client, settings, demo_users):
    settings.DEBUG = False

    response = client.get(reverse("admin:login"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="demo-logins"' not in page and DEMO_PASSWORD not in page


def test_before_seeding_the_debug_login_page_has_no_box(client, settings):
    settings.DEBUG = True

    page = client.get(reverse("admin:login")).content.decode()

    assert 'id="demo-logins"' not in page and 'name="username"' in page


def test_the_login_page_still_logs_in_with_the_box_shown(client, settings, demo_users):
    settings.DEBUG = True

    response = client.post(
        reverse("admin:login"), {"username": "officer", "password": DEMO_PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_demo_logins_prints_the_address_and_the_logins(demo_users, monkeypatch):
    VendorUserFactory(user=UserFactory(username="vendor1"), vendor__legal_name="Brennan & Walsh Construction Ltd")
    monkeypatch.setenv("PPP_HOST", "0.0.0.0")
    monkeypatch.setenv("PPP_PORT", "8090")
    out = io.StringIO()

    call_command("demo_logins", stdout=out)

    text = out.getvalue()
    assert "http://127.0.0.1:8090/admin/" in text and DEMO_PASSWORD in text
    assert "officer" in text and "board" in text
    assert "vendor1" in text and "Brennan & Walsh Construction Ltd" in text


def test_demo_logins_before_seeding_says_how_to_seed():
    out = io.StringIO()

    call_command("demo_logins", stdout=out)

    assert "seed_demo" in out.getvalue()


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        (None, None, ("127.0.0.1", 8000)),
        ("0.0.0.0", "8090", ("127.0.0.1", 8090)),
        ("::", "9000", ("::1", 9000)),
        ("devbox.local", "8000", ("devbox.local", 8000)),
    ],
)
def test_web_address_follows_ppp_host_and_port(monkeypatch, host, port, expected):
    for name, value in (("PPP_HOST", host), ("PPP_PORT", port)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    assert web_address() == expected
    assert site_url().startswith("http://")


def test_the_banner_waits_for_the_web_server_then_prints_and_stays_until_stopped(tmp_path):
    # Given a free port where nothing listens yet
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "PPP_HOST": "127.0.0.1",
        "PPP_PORT": str(port),
    }
    banner = subprocess.Popen(
        [sys.executable, "manage.py", "demo_logins", "--wait-for-web", "--stay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    threading.Thread(target=lambda: lines.extend(banner.stdout), daemon=True).start()
    try:
        # When the web server is not up yet, the banner waits quietly
        time.sleep(3)
        assert banner.poll() is None
        # And once it answers, the banner prints the address and keeps running (honcho would stop all otherwise)
        with socket.socket() as web:
            web.bind(("127.0.0.1", port))
            web.listen()
            deadline = time.monotonic() + 60
            while not any("admin:" in line for line in lines) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert any(f"http://127.0.0.1:{port}/admin/" in line for line in lines), lines
            time.sleep(1)
            assert banner.poll() is None
    finally:
        banner.send_signal(signal.SIGTERM)
        # Then stopping it is quiet: no traceback in honcho's shared output
        assert banner.wait(timeout=30) == 0
        assert "Traceback" not in banner.stderr.read()
