"""Channel adapters: platform payloads in, deliveries out. They never import models."""

from .api import ApiAdapter
from .base import ChannelAdapter

ADAPTERS: dict[str, type[ChannelAdapter]] = {
    "api": ApiAdapter,
}


def adapter_for(kind: str) -> type[ChannelAdapter] | None:
    return ADAPTERS.get(kind)
