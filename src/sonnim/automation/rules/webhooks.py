"""The call_webhook action's HTTP: a signed JSON POST to the shop's URL, refused for internal hosts.

Signature: the API channel's format (inboxes/adapters/signing.py), `X-Sonnim-Signature: sha256=<hex of
HMAC-SHA256(secret, timestamp + "." + body)>` with `X-Sonnim-Timestamp`, under the workspace's rule webhook
secret (shown to admins on the rules settings page; derived from SONNIM_ENCRYPTION_SECRET, never stored).

SSRF: the host is resolved once, every address must be public (not loopback, private, link-local, the
cloud metadata address, multicast, reserved, shared or unspecified), and the connection goes to the vetted
address (no second lookup a rebinding DNS could answer differently). Redirects are not followed.
`SONNIM_RULE_WEBHOOK_ALLOW_PRIVATE=1` (settings.RULE_WEBHOOK_ALLOW_PRIVATE) allows internal hosts, for
installs whose receivers live on the same network, and for tests."""

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings

from sonnim.inboxes.adapters.signing import sign

TIMEOUT_SECONDS = 10


class WebhookRefused(Exception):
    """The URL may not be called; the message is safe to log (no secrets, no payload)."""


def webhook_secret(workspace_id: int) -> str:
    """The workspace's rule webhook signing secret: stable, per workspace, derived, never stored."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sonnim", info=b"rule-webhook").derive(
        settings.ENCRYPTION_SECRET.encode()
    )
    return "whsec_" + hmac.new(key, str(workspace_id).encode(), hashlib.sha256).hexdigest()[:40]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def vetted_address(host: str, port: int) -> str:
    """The address to connect to: the first of the host's addresses, all of which must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise WebhookRefused("the host does not resolve") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    allow_private = getattr(settings, "RULE_WEBHOOK_ALLOW_PRIVATE", False)
    if not addresses:
        raise WebhookRefused("the host does not resolve")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise WebhookRefused("the host resolves to an internal address")
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a vetted address, with the URL's host for SNI and certificate checks."""

    def __init__(self, host: str, address: str, port: int, **kwargs) -> None:
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_signed(url: str, payload: dict, *, secret: str, timeout: float = TIMEOUT_SECONDS) -> int:
    """POST the payload; returns the status. Raises WebhookRefused before any connection to a refused
    host, OSError / http.client errors when the receiver cannot be reached."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("only http and https URLs")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = vetted_address(parts.hostname, port)
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Sonnim-Webhook/1",
        "Host": parts.netloc.rsplit("@", 1)[-1],
        **sign(secret, body),
    }
    if parts.scheme == "https":
        connection = _PinnedHTTPSConnection(parts.hostname, address, port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()
