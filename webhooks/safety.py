"""Where webhooks may go: HTTPS to public addresses only, so a vendor cannot make the server call into the
agency's own network (SSRF: cloud metadata at 169.254.169.254, databases on 10.x, the server's loopback).

The address is checked when the endpoint is registered (a 400 naming the field) and again at every send, on
the address actually connected to: a name that later resolves somewhere private (DNS rebinding) is refused.
``PPP_WEBHOOK_ALLOW_PRIVATE_HOSTS`` lifts the address rule for tests and local development only.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from ppp.errors import RuleViolation

DEFAULT_HTTPS_PORT = 443


@dataclass(frozen=True)
class Target:
    host: str  # as written in the URL (the TLS name and the Host header)
    port: int
    path: str  # path and query, sent as the request target
    address: str  # the checked IP address connected to


def _refuse(message: str):
    raise RuleViolation(message, field="url")


def parse(url: str) -> tuple[str, int, str]:
    """(host, port, path) of an acceptable webhook URL, or a RuleViolation on ``url`` saying what is wrong."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_HTTPS_PORT
    except ValueError:
        _refuse(_("This is not a valid URL."))
    if parts.scheme != "https":
        _refuse(_("Webhook URLs must use https://."))
    if not parts.hostname:
        _refuse(_("The URL has no host name."))
    if parts.username or parts.password:
        _refuse(_("Leave credentials out of the URL; verify our signature instead."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, each refused unless public (or private hosts are allowed)."""
    try:
        addresses = [str(ipaddress.ip_address(host))]  # an address literal needs no look-up
    except ValueError:
        if settings.PPP_WEBHOOK_OFFLINE and host.rstrip(".").lower() != "localhost":
            # Contract tests (.ci/schemathesis) must not look names up on the internet; nothing is sent either.
            return [host]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            _refuse(_("The host name %(host)s does not resolve.") % {"host": host})
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.PPP_WEBHOOK_ALLOW_PRIVATE_HOSTS:
        for address in addresses:
            if not _is_public(address):
                _refuse(
                    _(
                        "%(host)s resolves to %(address)s, a private, loopback or reserved address; webhooks go only "
                        "to public addresses."
                    )
                    % {"host": host, "address": address}
                )
    return addresses


def check_url(url: str) -> Target:
    """The checked target of ``url``; a RuleViolation (field ``url``) when webhooks may not go there."""
    host, port, path = parse(url)
    addresses = resolve(host, port)
    return Target(host=host, port=port, path=path, address=addresses[0])
