from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from sonnim.core.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
]


class BrowserOriginValidator(OriginValidator):
    """Browsers always send Origin on a websocket, and it must be one of our hosts: no other site may ride
    an agent's session cookie. Scripts send none and authenticate with ?token=, so a missing Origin passes
    (refusing it protected nothing: a script can write any Origin it likes)."""

    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


def origin_checked(application):
    return BrowserOriginValidator(application, settings.ALLOWED_HOSTS)
