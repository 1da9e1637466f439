"""Web chat fixtures: a webchat inbox whose widget a shop page at SHOP_ORIGIN may embed, and a visitor
speaking to the visitor API through Django's test client."""

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import create_inbox
from sonnim.webchat.models import Widget
from sonnim.webchat.services import ensure_widget

SHOP_ORIGIN = "https://shop.example"


@dataclass
class Chat:
    inbox: Inbox
    widget: Widget

    @property
    def api(self) -> str:
        return f"/widget/api/{self.widget.public_key}/"


class VisitorClient:
    """One browser: keeps its visitor token like the widget keeps it in localStorage."""

    def __init__(self, chat: Chat, *, origin: str = SHOP_ORIGIN, ip: str = "203.0.113.7", **meta) -> None:
        self.chat, self.origin, self.token = chat, origin, ""
        self.client = Client(REMOTE_ADDR=ip, **meta)  # meta: e.g. HTTP_X_FORWARDED_FOR

    def headers(self) -> dict:
        return {"HTTP_ORIGIN": self.origin, "HTTP_X_SONNIM_VISITOR": self.token}

    def post(self, path: str, body: dict):
        return self.client.post(
            self.chat.api + path, data=json.dumps(body), content_type="application/json", **self.headers()
        )

    def get(self, path: str, **params):
        return self.client.get(self.chat.api + path, params, **self.headers())

    def start(self, member: dict | None = None) -> dict:
        response = self.post("session", {"token": self.token or None, "member": member})
        assert response.status_code == 200, response.content
        data = response.json()
        self.token = data["token"] or self.token
        return data

    def say(self, text: str, client_id: str = "", **extra):
        import secrets

        return self.post("messages", {"client_id": client_id or secrets.token_hex(8), "text": text, **extra})


def make_chat(workspace, **settings) -> Chat:
    inbox = create_inbox(
        workspace,
        kind="webchat",
        name="웹 채팅",
        settings={"allowed_origins": [SHOP_ORIGIN], **settings},
    ).inbox
    return Chat(inbox=inbox, widget=ensure_widget(inbox))


@pytest.fixture
def chat(workspace) -> Chat:
    return make_chat(workspace)
