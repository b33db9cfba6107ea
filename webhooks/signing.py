"""How a delivery is signed (and how a receiver checks it): HMAC-SHA256 of ``<timestamp>.<body>``.

Headers on every delivery::

    X-PPP-Timestamp: 1767225600                   (Unix seconds when this attempt was signed)
    X-PPP-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
    X-PPP-Event: deliverable.accepted
    X-PPP-Event-Id: <uuid>                        (the same on every attempt and redelivery: deduplicate on it)
    X-PPP-Delivery: <delivery id>

The timestamp is inside the signed text, so a receiver that refuses old timestamps (5 minutes, say) also
refuses a captured request replayed later. See README "Webhooks" for a receiver's check.
"""

import hashlib
import hmac
import json
import time

TIMESTAMP_HEADER = "X-PPP-Timestamp"
SIGNATURE_HEADER = "X-PPP-Signature"
EVENT_HEADER = "X-PPP-Event"
EVENT_ID_HEADER = "X-PPP-Event-Id"
DELIVERY_HEADER = "X-PPP-Delivery"
USER_AGENT = "ppp-tracker-webhooks/1.0"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def body_of(delivery) -> bytes:
    """The JSON body of ``delivery``: the same bytes on every attempt (keys sorted, no spaces)."""
    document = {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created": delivery.occurred_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def verify(
    secret: str, *, timestamp: str, signature: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE_SECONDS, now=None
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (both, in constant time)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature or "")


def headers_for(delivery, secret: str, *, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        EVENT_HEADER: delivery.event,
        EVENT_ID_HEADER: str(delivery.event_id),
        DELIVERY_HEADER: str(delivery.pk),
    }
