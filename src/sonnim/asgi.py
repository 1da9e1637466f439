"""HTTP and websockets on one port."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sonnim.settings.dev")

from sonnim.core.asgi import get_asgi_application  # Django's, with long-lived request threads

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from sonnim.routing import (  # noqa: E402
    origin_checked,
    split_widget_sockets,
    websocket_urlpatterns,
    widget_websocket_urlpatterns,
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": split_widget_sockets(
            origin_checked(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
            URLRouter(widget_websocket_urlpatterns),
        ),
    }
)
