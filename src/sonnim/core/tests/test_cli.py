"""The operator CLI with --json, run as a subprocess on the test database (DATABASE_URL)."""

import json
import subprocess
import sys

import pytest
from django.test import Client

from sonnim.core.models import Agent, ApiToken, Workspace
from sonnim.inboxes.models import Inbox
from sonnim.testing.fixtures import ApiClient, inbound_payload
from sonnim.testing.server import subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)


def sonnim(*args: str, expect: int = 0) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "sonnim.cli", *args, "--json"],
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == expect, done.stderr[-3000:] + done.stdout[-1000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_operator_cli_creates_a_working_desk(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    ]  # what the CLI hashed with
    workspace = sonnim("workspace", "create", "CLI 테스트샵", "--slug", "cli-shop")
    stored = Workspace.objects.get(pk=workspace["id"])
    assert workspace == {"id": stored.pk, "slug": "cli-shop", "name": "CLI 테스트샵"}

    agent = sonnim(
        "agent", "create", "--workspace", "cli-shop", "--email", "Lead@Shop.kr", "--role", "supervisor"
    )
    stored_agent = Agent.objects.select_related("user").get(pk=agent["id"])
    assert {k: agent[k] for k in ("id", "email", "role")} == {
        "id": stored_agent.pk,
        "email": "lead@shop.kr",
        "role": "supervisor",
    }
    assert stored_agent.workspace_id == stored.pk
    assert len(agent["password"]) >= 12
    assert Client().login(username="lead@shop.kr", password=agent["password"])
    assert not Client().login(username="lead@shop.kr", password=agent["password"] + "x")

    token = sonnim("token", "create", "--workspace", str(stored.pk), "--agent", "lead@shop.kr")
    assert token["token"].startswith("snm_")
    assert ApiToken.objects.get(pk=token["id"]).agent_id == stored_agent.pk
    me = ApiClient(token["token"]).get("/api/v1/me").json()
    assert (me["agent"]["id"], me["agent"]["role"], me["workspace"]["id"]) == (
        stored_agent.pk,
        "supervisor",
        stored.pk,
    )

    inbox = sonnim("inbox", "create", "--workspace", "cli-shop", "--kind", "api", "--name", "자사몰")
    stored_inbox = Inbox.objects.get(pk=inbox["id"])
    assert (stored_inbox.workspace_id, stored_inbox.kind, stored_inbox.name) == (stored.pk, "api", "자사몰")
    assert inbox["key"].startswith("inb_")
    assert inbox["inbound_url"].endswith(f"/api/v1/inboxes/{stored_inbox.pk}/messages")
    posted = Client().post(
        f"/api/v1/inboxes/{stored_inbox.pk}/messages",
        data=json.dumps(inbound_payload()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {inbox['key']}",
    )
    assert posted.status_code == 201
    listed = ApiClient(token["token"]).get("/api/v1/conversations").json()["items"]
    assert [c["id"] for c in listed] == [posted.json()["conversation_id"]]


def test_cli_errors_are_json_with_a_code():
    missing = sonnim("agent", "create", "--workspace", "no-such-shop", "--email", "a@b.kr", expect=2)
    assert missing["code"] == "workspace_not_found"
    sonnim("workspace", "create", "코드샵", "--slug", "code-shop")
    bad_kind = sonnim(
        "inbox", "create", "--workspace", "code-shop", "--kind", "pigeon", "--name", "x", expect=2
    )
    assert (bad_kind["code"], bad_kind["details"]) == ("unknown_channel_kind", {"kind": "pigeon"})
    no_agent = sonnim("token", "create", "--workspace", "code-shop", "--agent", "ghost@shop.kr", expect=2)
    assert no_agent["code"] == "agent_not_found"
    assert not Inbox.objects.exists()
    assert not ApiToken.objects.exists()


def test_serve_with_several_workers_needs_redis():
    env = {**subprocess_env(), "REDIS_URL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "sonnim.cli", "serve", "--workers", "2", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "(redis_required)" in done.stderr and "REDIS_URL" in done.stderr
