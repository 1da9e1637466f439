"""The widget in a real browser on a shop page of another origin, against the real server (`sonnim serve
--with-worker`): a visitor chats, an agent answers from the inbox in a second browser context, the
visitor sees it live with read receipts both ways, keeps the history across a reload; a signed member
lands on their existing customer profile."""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sonnim.conversations.models import Conversation
from sonnim.conversations.tests import test_browser_inbox as agent_ui
from sonnim.core.actors import SYSTEM
from sonnim.core.choices import Role
from sonnim.core.services import create_agent, create_workspace
from sonnim.customers.services import create_customer
from sonnim.inboxes.services import create_inbox
from sonnim.webchat.services import ensure_widget, member_signature

pytestmark = pytest.mark.browser

# The agent UI's fixtures and helpers: a real server (with its worker), logins. Chromium: testing/browser.py.
server = agent_ui.server
log_in, set_password, PASSWORD = agent_ui.log_in, agent_ui.set_password, agent_ui.PASSWORD


@pytest.fixture(scope="module")
def running_server(django_db_setup):
    """The agent UI's server, told its own address (SONNIM_PUBLIC_URL): the widget script gives the browser
    Sonnim's configured address, never one taken from the request."""
    from sonnim.testing.server import free_port

    port = free_port()
    previous = os.environ.get("SONNIM_PUBLIC_URL")
    os.environ["SONNIM_PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # the subprocess's environment
    try:
        running = agent_ui.Server(port=port)
    finally:
        if previous is None:
            del os.environ["SONNIM_PUBLIC_URL"]
        else:
            os.environ["SONNIM_PUBLIC_URL"] = previous
    with running:
        yield running


class ShopSite:
    """The shop's own site on another port (another origin): pages by path."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def shop_page(script_url: str, member: dict | None = None) -> str:
    import json

    member_js = f"<script>window.SonnimChat = {{member: {json.dumps(member)}}};</script>" if member else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>button{background:hotpink!important}"
        "</style></head><body><h1>샘플 쇼핑몰</h1>"
        f"{member_js}<script src='{script_url}' async></script></body></html>"
    )


@pytest.fixture
def site():
    running = ShopSite()
    yield running
    running.close()


@pytest.fixture
def shop(transactional_db, site, server):
    workspace = create_workspace(name="샘플샵")
    owner = create_agent(
        workspace, email="owner@sample.kr", role=Role.OWNER, display_name="김상담", password=PASSWORD
    ).agent
    set_password(owner)
    inbox = create_inbox(
        workspace, kind="webchat", name="샘플샵 채팅", settings={"allowed_origins": [site.origin]}
    ).inbox
    widget = ensure_widget(inbox)
    script = f"{server.url}/widget/{widget.public_key}.js"
    site.pages["/"] = shop_page(script)
    member = create_customer(workspace, name="단골고객", member_id="member0007", actor=SYSTEM)
    signed = {
        "id": "member0007",
        "email": "",
        "signature": member_signature(inbox.signing_secret, "member0007", ""),
    }
    site.pages["/member"] = shop_page(script, signed)
    return type("Shop", (), {"workspace": workspace, "inbox": inbox, "member": member})


def open_widget(chromium, url: str):
    context = chromium.new_context(locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    page.locator(".sw-bubble").click()
    page.wait_for_function("window.__sonnimWidget && window.__sonnimWidget.config !== null")
    return page


def test_visitor_chats_agent_answers_live_history_and_member(chromium, server, site, shop):
    from playwright.sync_api import expect

    visitor = open_widget(chromium, f"{site.origin}/")
    expect(visitor.locator(".sw-head")).to_contain_text("안녕하세요")  # Korean greeting by default
    visitor.locator(".sw-input").fill("주문한 니트 색상 교환 가능할까요?")
    visitor.locator(".sw-input").press("Enter")
    expect(visitor.locator(".sw-msg.sw-visitor:not(.sw-pending)")).to_contain_text("니트 색상 교환")
    conversation = Conversation.objects.get(inbox=shop.inbox)

    agent = log_in(chromium, server.url, "owner@sample.kr")
    agent.click(f'.row[data-id="{conversation.pk}"] .row-link')
    expect(agent.locator("#timeline .msg-in")).to_contain_text("니트 색상 교환")
    expect(agent.locator(".customer-name")).to_be_visible()  # the pane is complete: the composer is live
    expect(visitor.locator(".sw-msg.sw-visitor .sw-read")).to_be_visible()  # the agent has read it

    agent.fill("#composer-text", "네, 교환 가능합니다. 원하시는 색상을 알려주세요.")
    agent.press("#composer-text", "Control+Enter")
    reply = visitor.locator(".sw-msg.sw-agent")
    expect(reply).to_contain_text("원하시는 색상", timeout=10_000)  # pushed live, no reload
    expect(reply.locator(".sw-author")).to_have_text("김상담")
    agent_ui.shot(visitor, "webchat-widget-ko")
    # the visitor has the panel open: the agent sees the reply read
    expect(agent.locator("#timeline .msg-out .read-receipt")).to_be_visible(timeout=10_000)

    visitor.reload()  # history across page loads: the token is in localStorage
    visitor.locator(".sw-bubble").click()
    expect(visitor.locator(".sw-msg")).to_have_count(2)
    expect(visitor.locator(".sw-msg.sw-agent")).to_contain_text("원하시는 색상")
    visitor.context.close()

    member = open_widget(chromium, f"{site.origin}/member")
    member.locator(".sw-input").fill("적립금 문의드려요")
    member.locator(".sw-input").press("Enter")
    expect(member.locator(".sw-msg.sw-visitor:not(.sw-pending)")).to_contain_text("적립금")
    landed = Conversation.objects.exclude(pk=conversation.pk).get(inbox=shop.inbox)
    assert landed.customer_id == shop.member.pk
    member.context.close()
    agent.context.close()


def test_prechat_questions_then_offline_form(chromium, server, site, shop):
    from playwright.sync_api import expect

    from sonnim.inboxes.services import update_inbox

    questions = [{"name": "topic", "label": {"ko": "문의 유형", "en": "Topic"}, "required": True,
                  "options": ["배송", "교환/반품"]}]  # fmt: skip
    update_inbox(shop.inbox, actor=SYSTEM, settings={**shop.inbox.settings, "prechat": questions})
    visitor = open_widget(chromium, f"{site.origin}/")
    visitor.locator(".sw-start").click()
    expect(visitor.locator(".sw-form .sw-error")).not_to_be_empty()  # the required topic
    visitor.locator(".sw-form select").select_option("교환/반품")
    visitor.locator(".sw-first").fill("사이즈가 안 맞아요")
    visitor.locator(".sw-start").click()
    expect(visitor.locator(".sw-msg.sw-visitor:not(.sw-pending)")).to_contain_text("사이즈가 안 맞아요")
    conversation = Conversation.objects.get(inbox=shop.inbox)
    assert conversation.messages.get(direction="in").metadata["prechat"] == {"topic": "교환/반품"}
    visitor.context.close()

    closed = {"time_zone": "Asia/Seoul", "weekly": {str(d): [] for d in range(7)}}
    update_inbox(shop.inbox, actor=SYSTEM, settings={**shop.inbox.settings, "business_hours": closed})
    away = open_widget(chromium, f"{site.origin}/")  # a new browser: no history, and the shop is closed
    form = away.locator(".sw-form")
    expect(form).to_contain_text("지금은 상담 시간이 아닙니다")
    form.locator("input[type=email]").fill("visitor@example.com")
    form.locator("textarea").fill("내일 연락 주세요")
    away.locator(".sw-leave").click()
    expect(away.locator(".sw-left")).to_be_visible()
    assert Conversation.objects.filter(inbox=shop.inbox).count() == 2
    away.context.close()


def test_blocked_websockets_fall_back_to_long_poll_without_losing_replies(chromium, server, site, shop):
    from playwright.sync_api import expect

    from sonnim.conversations.services import send_reply
    from sonnim.core.actors import Actor
    from sonnim.core.models import Agent

    context = chromium.new_context(locale="en-US")
    context.add_init_script("window.WebSocket = undefined;")  # a network that blocks websockets
    visitor = context.new_page()
    visitor.set_default_timeout(15_000)
    visitor.goto(f"{site.origin}/")
    visitor.locator(".sw-bubble").click()
    expect(visitor.locator(".sw-head")).to_contain_text("How can we help?")  # English by the browser
    visitor.locator(".sw-input").fill("Do you ship abroad?")
    visitor.locator(".sw-input").press("Enter")
    expect(visitor.locator(".sw-msg.sw-visitor:not(.sw-pending)")).to_contain_text("ship abroad")
    assert visitor.evaluate("window.__sonnimWidget.polling") is True
    conversation = Conversation.objects.get(inbox=shop.inbox)
    agent = Agent.objects.get(workspace=shop.workspace)
    for text in ("Yes, we do.", "Shipping takes 5 days."):
        send_reply(conversation, text=text, actor=Actor.agent(agent))  # the server's worker delivers them
    replies = visitor.locator(".sw-msg.sw-agent")
    expect(replies).to_have_count(2, timeout=15_000)
    expect(replies.last).to_contain_text("5 days")
    context.close()
