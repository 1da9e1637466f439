"""HMAC-SHA256 signatures for the API inbox: inbound checks and outbound webhooks share one format,
`X-Sonnim-Signature: sha256=<hex of HMAC(secret, timestamp + "." + body)>` with `X-Sonnim-Timestamp`."""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Sonnim-Signature"
TIMESTAMP_HEADER = "X-Sonnim-Timestamp"
MAX_SKEW_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {SIGNATURE_HEADER: f"sha256={digest}", TIMESTAMP_HEADER: ts}


def check(
    secret: str, body: bytes, signature: str, timestamp: str, *, now: float | None = None
) -> str | None:
    """None when valid, else a short reason (no secrets in it)."""
    if not signature or not timestamp:
        return "missing signature or timestamp header"
    if not timestamp.isdigit():
        return "timestamp is not a number"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return "timestamp too far from now"
    expected = sign(secret, body, int(timestamp))[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected, signature.strip()):
        return "signature does not match"
    return None


def check_request(secret: str, request) -> str | None:
    """check() on a Django request's body and headers."""
    return check(
        secret,
        request.body,
        request.headers.get(SIGNATURE_HEADER, ""),
        request.headers.get(TIMESTAMP_HEADER, ""),
    )
