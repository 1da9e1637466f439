from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from sonnim.core.consumers import AgentConsumer
from sonnim.webchat.consumers import WidgetConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
]

# The chat widget's sockets come from shop pages (other sites): WidgetConsumer checks each inbox's origin
# allow-list itself and never uses a session, so these skip the agents' origin check and session stack.
widget_websocket_urlpatterns = [
    path("ws/widget/<str:widget_key>/", WidgetConsumer.as_asgi()),
]


class BrowserOriginValidator(OriginValidator):
    """Browsers always send Origin on a websocket, and it must be one of our hosts: no other site may ride
    an agent's session cookie. Scripts send none and authenticate with ?token=, so a missing Origin passes
    (refusing it protected nothing: a script can write any Origin it likes)."""

    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


def origin_checked(application):
    return BrowserOriginValidator(application, settings.ALLOWED_HOSTS)


def split_widget_sockets(agent_app, widget_app):
    """/ws/widget/... to the widget's router, everything else to the agents' (origin-checked) stack."""

    async def app(scope, receive, send):
        if scope.get("path", "").startswith("/ws/widget/"):
            return await widget_app(scope, receive, send)
        return await agent_app(scope, receive, send)

    return app
