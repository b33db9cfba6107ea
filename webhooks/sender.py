"""One HTTPS POST to a checked address: TLS verified, no redirects followed, no retries here (the outbox
retries), a timeout on connect and on read."""

import functools
import ssl
import time
from dataclasses import dataclass

import urllib3
from django.conf import settings
from urllib3.util.ssl_ import create_urllib3_context

from .safety import Target

MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None when no HTTP answer came (connection, TLS, timeout)
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@functools.cache
def _tls_context(ca_bundle: str) -> ssl.SSLContext:
    """The TLS settings every send uses, built once per process and CA bundle ("" for the system's CAs).

    Left to urllib3, each new connection builds its own context and loads the CAs into it: the system's store
    is parsed again for every delivery, some 20 to 50 ms of CPU, more than the rest of the attempt. A CA file
    replaced in place is read at the worker's next start, like the settings.
    """
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    context.hostname_checks_common_name = False  # names in subjectAltName only, as urllib3's own contexts
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    else:
        context.load_default_certs()
    return context


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == 443 else f"{host}:{target.port}"


def post(target: Target, *, headers: dict[str, str], body: bytes) -> Answer:
    """POST ``body`` to ``target``'s checked address, speaking TLS to (and verifying) its host name."""
    timeout = settings.PPP_WEBHOOK_TIMEOUT_SECONDS
    pool = urllib3.HTTPSConnectionPool(
        target.address,
        port=target.port,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        retries=False,
        cert_reqs="CERT_REQUIRED",
        ssl_context=_tls_context(settings.PPP_WEBHOOK_CA_BUNDLE),
        server_hostname=target.host,
        assert_hostname=target.host,
    )
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": _host_header(target)},
            redirect=False,
            retries=False,
            preload_content=False,
        )
        try:
            response.read(4096)  # the answer's body is not kept; read a little so the connection ends cleanly
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        return Answer(None, error, _ms_since(started))
    finally:
        pool.close()
    status = response.status
    if 300 <= status < 400:
        error = f"HTTP {status}: redirects are not followed; register the final URL."
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    else:
        error = ""
    return Answer(status, error, _ms_since(started))


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
