"""The demo's sample shop page: only under `sonnim demo` (settings.DEMO) or DEBUG, the widget of the demo
shop's webchat inbox, and a signature only for the demo shop's seeded members."""

import pytest

from sonnim.core.actors import SYSTEM
from sonnim.core.services import create_workspace
from sonnim.customers.services import create_customer
from sonnim.demo import data
from sonnim.inboxes.services import create_inbox
from sonnim.webchat.models import Widget
from sonnim.webchat.services import member_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_shop(settings):
    settings.DEMO = True
    workspace = create_workspace(name=data.SHOP_NAME, slug=data.SHOP_SLUG)
    create_customer(workspace, name="김민지", member_id="member0001", actor=SYSTEM)
    return create_inbox(workspace, kind="webchat", name="웹 채팅").inbox


def test_demo_shop_page_embeds_the_demo_widget_and_signs_a_seeded_member(client, settings):
    settings.DEMO = True
    assert client.get("/demo/shop/").status_code == 404  # no demo seeded: nothing to show
    workspace = create_workspace(name=data.SHOP_NAME, slug=data.SHOP_SLUG)
    create_customer(workspace, name="김민지", member_id="member0001", actor=SYSTEM)
    inbox = create_inbox(workspace, kind="webchat", name="웹 채팅").inbox
    page = client.get("/demo/shop/").content.decode()
    widget = Widget.objects.get(inbox=inbox)
    assert f'<script src="/widget/{widget.public_key}.js" async></script>' in page
    assert "SonnimChat" not in page
    member = client.get("/demo/shop/", {"member": "member0001"}).content.decode()
    assert member_signature(inbox.signing_secret, "member0001", "") in member
    hostile = client.get("/demo/shop/", {"member": "</script><script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)" not in hostile


def test_demo_shop_page_is_not_served_outside_the_demo(client, settings, demo_shop):
    settings.DEMO, settings.DEBUG = False, False
    response = client.get("/demo/shop/", {"member": "member0001"})
    assert response.status_code == 404
    assert member_signature(demo_shop.signing_secret, "member0001", "").encode() not in response.content
    settings.DEBUG = True  # a developer's machine shows it too
    assert client.get("/demo/shop/").status_code == 200


@pytest.mark.parametrize("member_id", ["member0002", "admin", "vip-1", "member0001 "])
def test_demo_shop_signs_only_the_seeded_members(client, demo_shop, member_id):
    page = client.get("/demo/shop/", {"member": member_id})
    assert page.status_code == 200
    assert "SonnimChat" not in page.content.decode()
    assert member_signature(demo_shop.signing_secret, member_id, "").encode() not in page.content


def test_demo_shop_embeds_the_bot_enabled_chat(client, demo_shop):
    from sonnim.demo.bot import BOT_INBOX_NAME
    from sonnim.inboxes.services import update_inbox

    bot = create_inbox(demo_shop.workspace, kind="webchat", name=BOT_INBOX_NAME).inbox
    update_inbox(bot, actor=SYSTEM, is_bot_enabled=True)
    page = client.get("/demo/shop/").content.decode()
    assert f"/widget/{Widget.objects.get(inbox=bot).public_key}.js" in page
