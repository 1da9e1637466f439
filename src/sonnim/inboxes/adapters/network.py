"""Who is calling: the client address behind our own reverse proxies, shared by the adapters and entry
points that check or count callers by address (TalkTalk's allow-list, the web chat's per-IP limit)."""

import ipaddress

from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(values) -> list[Network]:
    """IP addresses or CIDR ranges from a setting; ValueError/TypeError for anything else."""
    if isinstance(values, str):
        raise ValueError("expected a list")
    return [ipaddress.ip_network(str(v), strict=False) for v in values]


def client_address(request: HttpRequest, trusted_proxies: list) -> Address | None:
    """The caller's address. X-Forwarded-For counts only when the direct peer is a trusted proxy, and then
    we walk it from the right past our own proxies: entries further left are whatever the client claimed."""
    return peer_address(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""), trusted_proxies
    )


def peer_address(remote_addr: str, forwarded_for: str, trusted_proxies: list) -> Address | None:
    """client_address() from the raw values (a websocket's ASGI scope has no HttpRequest)."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return None
    if not any(address in network for network in trusted_proxies):
        return address
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return None
        if not any(address in network for network in trusted_proxies):
            return address
    return address
