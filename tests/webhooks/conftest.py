"""A real HTTPS receiver on 127.0.0.1 (certificate from a local CA made with trustme) that checks signatures."""

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from tests.api.conftest import (  # noqa: F401  (the partner API's fixtures: two vendors and their clients)
    _fresh_throttle_counters,
    api_officer_client,
    client_a,
    vendor_a,
    vendor_b,
)
from webhooks import signing


class Receiver:
    """Answers each POST with the next of ``statuses`` (the last one repeats) and keeps what it was sent."""

    def __init__(self, server: ThreadingHTTPServer):
        self.server = server
        self.statuses = [200]
        self.secret = ""
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/hooks/ppp?source=tests"

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    @property
    def events(self) -> list[dict]:
        return [request["json"] for request in self.requests]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            verified = signing.verify(
                receiver.secret,
                timestamp=headers.get("x-ppp-timestamp"),
                signature=headers.get("x-ppp-signature"),
                body=body,
            )
            with receiver.lock:
                request = {"path": self.path, "headers": headers, "body": body, "verified": verified}
                receiver.requests.append({**request, "json": json.loads(body)})
            status = receiver.answer() if verified else 401
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "https://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # keep the test output quiet
            pass

    return Handler


@pytest.fixture(scope="session")
def local_ca():
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_bundle(local_ca, tmp_path_factory):
    path = tmp_path_factory.mktemp("webhook-ca") / "ca.pem"
    local_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def receiver(local_ca, ca_bundle, settings):
    """The receiver, and settings that let deliveries reach it: loopback allowed, its CA trusted."""
    settings.PPP_WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.PPP_WEBHOOK_CA_BUNDLE = ca_bundle
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    receiver = Receiver(server)
    server.RequestHandlerClass = _handler(receiver)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    local_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
