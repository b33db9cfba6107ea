"""Print the site's address and the demo logins; with ``--wait-for-web --stay``, the Procfile's ``banner``.

``make run`` prints the logins after seeding, but honcho's output from the web server, worker and beat scrolls
them away at once. The ``banner`` process waits until the web server accepts connections, prints them again
below the start-up noise, then idles: honcho stops every process when one exits.
"""

import os
import signal
import socket
import sys
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils.translation import gettext as _

from ppp import demo
from procurement.models import VendorUser

# Addresses that mean "every interface": the browser reaches them as localhost.
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1"}


def web_address() -> tuple[str, int]:
    """Where the Procfile's web process listens (PPP_HOST, PPP_PORT), as a browser on this machine reaches it."""
    host = os.environ.get("PPP_HOST") or "127.0.0.1"
    return _ANY_ADDRESS.get(host, host).strip("[]"), int(os.environ.get("PPP_PORT") or 8000)


def site_url() -> str:
    host, port = web_address()
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def write_logins(stdout, style) -> None:
    """The logins seed_demo made that exist, with their roles; the first two vendor users stand for the rest."""
    try:
        staff = demo.staff_logins_present()
        vendor_users = list(
            VendorUser.objects.select_related("user", "vendor")
            .filter(user__username__in=["vendor1", "vendor2"])
            .order_by("user__username")
        )
    except DatabaseError:
        # A database not migrated yet: the banner still shows the address, and says what to run.
        staff, vendor_users = [], []
    url = site_url()
    stdout.write(
        style.SUCCESS(
            _("ppp-tracker — admin: %(url)sadmin/  boards: %(url)sboards/  API docs: %(url)sapi/v1/docs/")
            % {"url": url}
        )
    )
    if not staff and not vendor_users:
        stdout.write(_("No demo logins yet: run `manage.py migrate` and `manage.py seed_demo` (make run does both)."))
        return
    stdout.write(_("Demo logins (password for all: %(password)s):") % {"password": demo.DEMO_PASSWORD})
    for login in staff:
        stdout.write(f"  {login.username:<9} – {login.role}")
    for membership in vendor_users:
        stdout.write(
            f"  {membership.user.username:<9} – "
            + _("vendor user for %(vendor)s (partner API)") % {"vendor": membership.vendor}
        )


class Command(BaseCommand):
    help = "Print the site's address and the demo logins (the Procfile's banner: --wait-for-web --stay)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait-for-web",
            action="store_true",
            help="First wait until the web server (PPP_HOST:PPP_PORT) accepts connections.",
        )
        parser.add_argument(
            "--stay", action="store_true", help="Then stay idle until stopped (honcho stops all when one exits)."
        )

    def handle(self, *args, wait_for_web=False, stay=False, **options):
        # Stopped by honcho (Ctrl-C): leave quietly, without a traceback in the shared output.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: sys.exit(0))
        if wait_for_web:
            self._wait_for_web()
        self.stdout.write("")
        write_logins(self.stdout, self.style)
        self.stdout.flush()
        while stay:
            time.sleep(3600)

    def _wait_for_web(self):
        address = web_address()
        while True:
            try:
                with socket.create_connection(address, timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
