"""A vendor's webhook receiver for the delivery benchmark, run as its own process (bench/webhooks.py starts it).

    python -m bench.webhook_receiver --port 8443 --cert server.pem --key key.pem --log received.tsv
    (the endpoint's secret comes in the environment, BENCH_WEBHOOK_SECRET, not on the command line)

HTTPS with a certificate from the benchmark's local CA; each POST's signature is checked as the README tells a
receiver to (``webhooks.signing.verify``), and one line is appended to the log per request, duplicates included:
``<event id>\\t<delivery id>\\t<receive time, Unix seconds>\\t<1 if the signature verified>``. It answers 204
to a verified request, 401 otherwise. Its own process, so its TLS and hashing do not compete with the
benchmark's Python for the GIL (the worker's pool processes do compete with it for the two cores, as a
receiver on the same machine would).
"""

import argparse
import os
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks import signing


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, context: ssl.SSLContext, secret: str, log):
        super().__init__(address, Handler)
        self.context, self.secret, self.log = context, secret, log
        self.lock = threading.Lock()

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the request's thread, not in the accepting loop.
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def record(self, event_id: str, delivery_id: str, received: float, verified: bool) -> None:
        with self.lock:
            self.log.write(f"{event_id}\t{delivery_id}\t{received:.6f}\t{int(verified)}\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        verified = signing.verify(
            self.server.secret,
            timestamp=self.headers.get(signing.TIMESTAMP_HEADER),
            signature=self.headers.get(signing.SIGNATURE_HEADER),
            body=body,
        )
        self.server.record(
            self.headers.get(signing.EVENT_ID_HEADER, ""),
            self.headers.get(signing.DELIVERY_HEADER, ""),
            time.time(),
            verified,
        )
        self.send_response(204 if verified else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # one line a request goes to the log file, not to stderr
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True, help="PEM: the server certificate and its chain")
    parser.add_argument("--key", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    with open(args.log, "a", encoding="utf-8") as log:
        server = Receiver(("127.0.0.1", args.port), context, os.environ["BENCH_WEBHOOK_SECRET"], log)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        print("ready", flush=True)
        try:
            server.serve_forever()
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    # Django is not set up here: webhooks.signing needs only the standard library.
    sys.exit(main())
