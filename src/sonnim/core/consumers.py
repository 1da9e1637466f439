"""The agents' websocket, /ws/agent/: one channel-layer group per workspace.

Authenticated by the browser session or by `?token=<API token>`. Every push carries the event's
sequence number; on connect the server says the current last_seq, so a client that reconnects asks
GET /api/v1/events?after=N for what it missed."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from sonnim.webchat.realtime import agent_typing_group

from . import selectors
from .models import Agent
from .realtime import workspace_group


class AgentConsumer(AsyncJsonWebsocketConsumer):
    agent: Agent | None = None

    async def connect(self) -> None:
        self.agent = await self._authenticate()
        if self.agent is None:
            await self.close(code=4401)
            return
        self.group = workspace_group(self.agent.workspace_id)
        self.owned_conversations: set[int] = set()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        last = await database_sync_to_async(selectors.last_seq)(self.agent.workspace)
        await self.send_json({"type": "hello", "agent_id": self.agent.pk, "last_seq": last})

    async def disconnect(self, code: int) -> None:
        if self.agent is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "presence.push",
                    "agent_id": self.agent.pk,
                    "conversation_id": None,
                    "state": "left",
                },
            )

    async def receive_json(self, content: dict, **kwargs) -> None:
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind in ("viewing", "typing", "left") and self.agent is not None:
            # Collision hints between agents: ephemeral, not events.
            conversation_id = content.get("conversation_id")
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "presence.push",
                    "agent_id": self.agent.pk,
                    "agent_name": self.agent.display_name,
                    "conversation_id": conversation_id if isinstance(conversation_id, int) else None,
                    "state": kind,
                },
            )
            if kind == "typing" and isinstance(conversation_id, int) and await self._owns(conversation_id):
                # Listeners on the conversation itself (the web chat visitor's socket) see the agent type;
                # only for a conversation of this agent's workspace, in a group named with the workspace.
                await self.channel_layer.group_send(
                    agent_typing_group(self.agent.workspace_id, conversation_id),
                    {"type": "agent.typing", "agent_name": self.agent.display_name},
                )

    async def event_push(self, message: dict) -> None:
        await self.send_json({"type": "event", "event": message["event"]})

    async def presence_push(self, message: dict) -> None:
        if message.get("agent_id") == self.agent.pk:
            return
        await self.send_json({"type": "presence", **{k: v for k, v in message.items() if k != "type"}})

    async def _owns(self, conversation_id: int) -> bool:
        """Is the conversation in this agent's workspace (remembered per socket: typing repeats)?"""
        owned = self.owned_conversations
        if conversation_id not in owned and await self._conversation_exists(conversation_id):
            owned.add(conversation_id)
        return conversation_id in owned

    @database_sync_to_async
    def _conversation_exists(self, conversation_id: int) -> bool:
        from sonnim.conversations.models import Conversation

        return Conversation.objects.for_workspace(self.agent.workspace_id).filter(pk=conversation_id).exists()

    @database_sync_to_async
    def _authenticate(self) -> Agent | None:
        token = parse_qs(self.scope.get("query_string", b"").decode()).get("token", [""])[0]
        if token:
            api_token = selectors.token_for_key(token)
            return api_token.agent if api_token else None
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        session = self.scope.get("session") or {}
        from .auth import SESSION_WORKSPACE_KEY

        agents = Agent.objects.filter(user=user, is_active=True).select_related("workspace")
        wanted = session.get(SESSION_WORKSPACE_KEY)
        agent = agents.filter(workspace_id=wanted).first() if wanted else None
        return agent or agents.order_by("workspace_id").first()
