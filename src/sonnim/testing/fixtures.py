"""Shared pytest fixtures: workspaces, agents by role, API clients, inboxes, inbound helper."""

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from sonnim.core.choices import Role
from sonnim.core.models import Agent, Workspace
from sonnim.core.services import create_agent, create_api_token, create_workspace
from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import create_inbox


class ApiClient:
    """Django's test client speaking JSON with a Bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.auth = f"Bearer {token}"

    def _call(self, method: str, url: str, json_body=None, **headers):
        kwargs = {
            "HTTP_AUTHORIZATION": self.auth,
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
        }
        if json_body is not None:
            kwargs.update(data=json.dumps(json_body), content_type="application/json")
        return getattr(self.client, method)(url, **kwargs)

    def get(self, url: str, **params):
        return self.client.get(url, params, HTTP_AUTHORIZATION=self.auth)

    def post(self, url: str, json=None, **headers):
        return self._call("post", url, json if json is not None else {}, **headers)

    def patch(self, url: str, json=None, **headers):
        return self._call("patch", url, json or {}, **headers)


@pytest.fixture
def workspace(db) -> Workspace:
    return create_workspace(name="샘플샵")


@pytest.fixture
def other_workspace(db) -> Workspace:
    return create_workspace(name="다른샵")


def make_agent(workspace: Workspace, email: str, role: Role) -> Agent:
    return create_agent(workspace, email=email, role=role, display_name=email.split("@")[0]).agent


@pytest.fixture
def owner(workspace) -> Agent:
    return make_agent(workspace, "owner@sample.kr", Role.OWNER)


@pytest.fixture
def supervisor(workspace) -> Agent:
    return make_agent(workspace, "supervisor@sample.kr", Role.SUPERVISOR)


@pytest.fixture
def agent(workspace) -> Agent:
    return make_agent(workspace, "agent@sample.kr", Role.AGENT)


@pytest.fixture
def other_workspace_agent(other_workspace) -> Agent:
    return make_agent(other_workspace, "agent@other.kr", Role.AGENT)


@pytest.fixture
def api():
    """api(agent) -> a JSON client authenticated with a fresh API token of that agent."""

    def make(agent: Agent) -> ApiClient:
        return ApiClient(create_api_token(agent).key)

    return make


@dataclass
class InboxWithKey:
    inbox: Inbox
    key: str

    @property
    def url(self) -> str:
        return f"/api/v1/inboxes/{self.inbox.pk}/messages"


@pytest.fixture
def api_inbox(workspace) -> InboxWithKey:
    created = create_inbox(workspace, kind="api", name="쇼핑몰 API")
    return InboxWithKey(created.inbox, created.key)


@pytest.fixture
def other_api_inbox(other_workspace) -> InboxWithKey:
    created = create_inbox(other_workspace, kind="api", name="other API")
    return InboxWithKey(created.inbox, created.key)


def inbound_payload(
    external_id: str = "m-1", sender_id: str = "u-1", text: str = "배송 언제 오나요?", **extra
) -> dict:
    sender = {"external_id": sender_id, "name": "김민지"}
    sender.update(extra.pop("sender", {}))
    return {"external_id": external_id, "sender": sender, "text": text, **extra}


@pytest.fixture
def post_inbound(client):
    """post_inbound(inbox_with_key, payload) -> response, through the real inbound API."""

    def post(target: InboxWithKey, payload: dict, **headers):
        return client.post(
            target.url,
            data=json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {target.key}",
            **headers,
        )

    return post


def clear_cache() -> None:
    """Empty this test process's cache, and only it: cache.clear() on Redis would flush the whole shared
    database, other xdist workers' counters and channel groups included."""
    from django.conf import settings as django_settings
    from django.core.cache import cache

    if "Redis" not in django_settings.CACHES["default"]["BACKEND"]:
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{django_settings.REDIS_PREFIX}:[0-9]*:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache (rate-limit counters, send markers): with SQLite's reused ids
    one test's keys would otherwise meet the next one's."""
    clear_cache()
    yield
