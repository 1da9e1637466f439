"""The visitor's websocket, /ws/widget/<widget key>/?token=<visitor token>&after=<seq>.

Not behind the agents' BrowserOriginValidator (shop pages are other sites): it checks the Origin against
the inbox's allow-list itself. On connect it sends what the visitor missed after `after`, then pushes
every new stream item; frames from the widget: typing, read, sync (after the first message made the
stream), ping. Frames but ping count against the same limits as the HTTP calls (the inbox's per-IP budget,
typing 30 a minute): one over them is dropped."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from sonnim.core.errors import SonnimError
from sonnim.inboxes.adapters.network import peer_address

from . import selectors, services
from . import settings as widget_settings
from .realtime import agent_typing_group, stream_group


class WidgetConsumer(AsyncJsonWebsocketConsumer):
    visitor = None
    stream_id: int | None = None
    conversation_group: str | None = None
    client_ip = "unknown"

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        key = self.scope["url_route"]["kwargs"]["widget_key"]
        headers = dict(self.scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode() or None
        host = headers.get(b"host", b"").decode()
        self.visitor = await self._authenticate(key, query.get("token", [""])[0], origin, host)
        if self.visitor is None:
            await self.close(code=4403)
            return
        peer = self._peer(headers)
        self.client_ip = str(peer) if peer is not None else "unknown"
        await self.accept()
        try:
            after = int(query.get("after", ["0"])[0])
        except ValueError:
            after = 0
        await self._catch_up(after)

    async def disconnect(self, code: int) -> None:
        if self.stream_id is not None:
            await self.channel_layer.group_discard(stream_group(self.stream_id), self.channel_name)
        if self.conversation_group:
            await self.channel_layer.group_discard(self.conversation_group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
            return
        if kind not in ("sync", "typing", "read") or not await self._within_rate(kind):
            return  # unknown, or over the limit: dropped (the widget catches up on its next sync)
        if kind == "sync":
            after = content.get("after")
            await self._catch_up(after if isinstance(after, int) else 0)
        elif kind == "typing":
            await self._typing(bool(content.get("typing", True)))
        elif kind == "read" and isinstance(content.get("seq"), int):
            await database_sync_to_async(services.mark_visitor_read)(self.visitor, seq=content["seq"])

    async def _catch_up(self, after: int) -> None:
        """Join the stream's group first, then send what is stored after `after`: nothing falls between."""
        stream, conversation_id = await self._stream()
        if stream is not None and self.stream_id is None:
            self.stream_id = stream.pk
            await self.channel_layer.group_add(stream_group(stream.pk), self.channel_name)
        if conversation_id is not None:
            group = agent_typing_group(self.visitor.workspace_id, conversation_id)
            if group != self.conversation_group:
                if self.conversation_group:
                    await self.channel_layer.group_discard(self.conversation_group, self.channel_name)
                self.conversation_group = group
                await self.channel_layer.group_add(group, self.channel_name)
        items = await database_sync_to_async(selectors.items_after)(stream, after)
        await self.send_json({"type": "items", "items": items})

    async def widget_item(self, message: dict) -> None:
        await self.send_json({"type": "items", "items": [message["item"]]})

    async def agent_typing(self, message: dict) -> None:
        await self.send_json({"type": "typing", "name": message.get("agent_name", "")})

    @database_sync_to_async
    def _authenticate(self, key: str, token: str, origin: str | None, host: str):
        try:
            widget = selectors.get_widget(key)
        except SonnimError:
            return None
        if not selectors.origin_allowed(widget, origin, own_host=host):
            return None
        return selectors.visitor_for_token(widget, token)

    def _peer(self, headers: dict):
        """The visitor's address as the HTTP calls see it (X-Forwarded-For only from trusted proxies)."""
        client = self.scope.get("client") or ("", 0)
        return peer_address(
            str(client[0] or ""),
            headers.get(b"x-forwarded-for", b"").decode("latin-1"),
            widget_settings.trusted_proxies(self.visitor.inbox.settings),
        )

    @database_sync_to_async
    def _within_rate(self, kind: str) -> bool:
        """The HTTP endpoints' check_rate: the inbox's per-IP budget, and typing's own."""
        limit = widget_settings.limit(self.visitor.inbox.settings, "ip_requests_per_minute")
        try:
            services.check_rate(f"ip:{self.visitor.inbox_id}:{self.client_ip}", limit=limit)
            if kind == "typing":
                services.check_rate(f"typing:{self.visitor.pk}", limit=services.TYPING_PER_MINUTE)
        except SonnimError:
            return False
        return True

    @database_sync_to_async
    def _stream(self):
        stream = selectors.stream_of(self.visitor)
        if stream is None:
            return None, None
        return stream, selectors.latest_conversation_id(self.visitor, stream.customer_id)

    @database_sync_to_async
    def _typing(self, is_typing: bool) -> None:
        from .realtime import relay_visitor_typing

        relay_visitor_typing(self.visitor, is_typing=is_typing)
