"""The agent workspace in a real browser (Debian's Chromium through Playwright) against the real server
(`sonnim serve --with-worker`, uvicorn with websockets) on the test database."""

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from sonnim.automation.services import create_canned_reply
from sonnim.conversations.models import Conversation, Message
from sonnim.core.actors import SYSTEM
from sonnim.core.choices import Role
from sonnim.core.services import create_agent, create_workspace
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fixtures import inbound_payload
from sonnim.testing.http import Behaviour, RecordingServer
from sonnim.testing.server import ServerProcess, subprocess_env

pytestmark = pytest.mark.browser

ARTIFACTS = Path(
    os.environ.get("SONNIM_TEST_ARTIFACTS", Path(__file__).resolve().parents[4] / "test-artifacts")
)
PASSWORD = "browser-pass-1234"


class Server(ServerProcess):
    """The real server, restartable on the same port (a browser reconnecting must find it again)."""

    def __init__(self, *, port: int | None = None) -> None:
        if port is None:
            super().__init__(with_worker=True, env={"DJANGO_ALLOW_ASYNC_UNSAFE": ""})
            return
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "sonnim.cli", "serve", "--port", str(port), "--with-worker"]
        env = subprocess_env(DJANGO_ALLOW_ASYNC_UNSAFE="")
        self._start(args, env)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 120) -> None:
        super()._wait_ready(timeout)  # a busy CI machine can take more than the default 30 s to boot


@pytest.fixture(scope="module")
def running_server(django_db_setup):
    """One server for this module (stopped with it, so it never races later tests' database resets)."""
    with Server() as running:
        yield running


@pytest.fixture
def server(running_server, transactional_db):
    return running_server


@pytest.fixture
def fresh_server(transactional_db):
    """A server of its own: its in-process delivery worker has not lived through other tests' flushes."""
    with Server() as running:
        yield running


class QuickPBKDF2(PBKDF2PasswordHasher):
    iterations = 1000  # the server verifies with the count stored in the hash: fast logins in tests


def set_password(agent) -> None:
    """The server runs production settings, which do not know the test settings' MD5 hasher."""
    agent.user.password = QuickPBKDF2().encode(PASSWORD, QuickPBKDF2().salt())
    agent.user.save(update_fields=["password"])


@pytest.fixture
def shop(transactional_db):
    """A workspace with two agents (who can log in) and an API inbox replying to a local webhook."""
    workspace = create_workspace(name="샘플샵")
    owner = create_agent(
        workspace, email="owner@sample.kr", role=Role.OWNER, display_name="김상담", password=PASSWORD
    )
    other = create_agent(
        workspace, email="second@sample.kr", role=Role.AGENT, display_name="이지원", password=PASSWORD
    )
    set_password(owner.agent)
    set_password(other.agent)
    webhook = RecordingServer(Behaviour(fail_first=4)).__enter__()
    inbox = create_inbox(workspace, kind="api", name="쇼핑몰 API", webhook_url=webhook.url)
    yield type(
        "Shop",
        (),
        {
            "workspace": workspace,
            "owner": owner.agent,
            "other": other.agent,
            "inbox": inbox,
            "inbox_url": f"/api/v1/inboxes/{inbox.inbox.pk}/messages",
        },
    )
    webhook.__exit__(None, None, None)


def post_inbound(base_url: str, shop, external_id: str, sender: str, text: str) -> dict:
    """The shop's system posts a customer message to the inbound API of the running server."""
    body = json.dumps(
        inbound_payload(external_id=external_id, sender_id=sender, text=text, sender={"name": sender})
    )
    request = urllib.request.Request(
        f"{base_url}/api/v1/inboxes/{shop.inbox.inbox.pk}/messages",
        data=body.encode(),
        headers={"Authorization": f"Bearer {shop.inbox.key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=90) as response:
        return json.loads(response.read())


def log_in(chromium, base_url: str, email: str, *, width: int = 1280, height: int = 800):
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    page.wait_for_function("window.sonnim && window.sonnim.realtime.socket.readyState === 1")
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_live_list_reply_with_retry_note_assign_resolve(chromium, fresh_server, shop):
    from playwright.sync_api import expect

    server = fresh_server
    first = post_inbound(server.url, shop, "m-1", "박서준", "주문한 신발 사이즈 교환 가능할까요?")
    page = log_in(chromium, server.url, "owner@sample.kr")
    expect(page.locator(".row")).to_have_count(1)
    expect(page.locator('[data-count="open"]')).to_have_text("1")

    second = post_inbound(server.url, shop, "m-2", "최유나", "환불해주세요")
    new_row = page.locator(f'.row[data-id="{second["conversation_id"]}"]')
    expect(new_row).to_be_visible(timeout=1000)  # pushed, no reload
    expect(page.locator(".row").first).to_have_attribute("data-id", str(second["conversation_id"]))
    expect(page.locator('[data-count="open"]')).to_have_text("2")

    page.click(f'.row[data-id="{first["conversation_id"]}"] .row-link')
    expect(page.locator("#timeline .msg-in")).to_have_text(lambda_text("주문한 신발 사이즈 교환 가능할까요?"))
    expect(page.locator(".customer-name")).to_contain_text("박서준")

    # Reply: the webhook fails 4 times (every attempt), so it ends failed with its reason and a Retry button.
    page.fill("#composer-text", "네, 교환 가능합니다.")
    page.press("#composer-text", "Control+Enter")
    outbound = page.locator("#timeline .msg-out")
    expect(outbound).to_contain_text("네, 교환 가능합니다.")
    expect(outbound.locator(".delivery")).to_contain_text("전송 실패", timeout=30_000)
    expect(outbound.locator(".failure-reason")).not_to_be_empty()
    shot(page, "inbox-ko-failed-delivery")
    outbound.locator('[data-action="retry"]').click()
    expect(outbound.locator(".delivery")).to_contain_text("전송됨", timeout=30_000)
    assert Message.objects.get(direction="out").delivery_status == "sent"

    # Note, visibly distinct.
    page.check("input[name=mode][value=note]")
    page.fill("#composer-text", "VIP 고객, 무료 교환 처리")
    page.click("#composer-send")
    expect(page.locator("#timeline .msg-note")).to_contain_text("VIP 고객, 무료 교환 처리")
    expect(page.locator("#timeline .msg-note .note-label")).to_have_text("내부 메모")

    # Assign to me by mouse, then resolve: the row leaves the open list and the counts follow.
    page.click('[data-action="assign-me"]')
    expect(page.locator('select[data-action="assign"]')).to_have_value(str(shop.owner.pk))
    expect(page.locator('[data-count="mine"]')).to_have_text("1")
    shot(page, "inbox-ko-1280")
    page.click('[data-action="resolve"]')
    expect(page.locator("[data-status-label]")).to_have_text("해결")
    expect(page.locator(f'.row[data-id="{first["conversation_id"]}"]')).to_have_count(0)
    expect(page.locator('[data-count="resolved"]')).to_have_text("1")
    expect(page.locator('[data-count="open"]')).to_have_text("1")
    conversation = Conversation.objects.get(pk=first["conversation_id"])
    assert (conversation.status, conversation.assignee_id) == ("resolved", shop.owner.pk)
    page.context.close()


def lambda_text(text: str):
    import re

    return re.compile(re.escape(text))


def test_keyboard_shortcuts_and_canned_reply(chromium, server, shop):
    from playwright.sync_api import expect

    create_canned_reply(
        shop.workspace, title="배송 안내", text="오늘 출고되어 내일 도착 예정입니다.", is_shared=True,
        created_by=None, actor=SYSTEM,
    )  # fmt: skip
    older = post_inbound(server.url, shop, "k-1", "한소희", "배송 언제 오나요?")
    newer = post_inbound(server.url, shop, "k-2", "정우성", "쿠폰이 적용이 안 돼요")
    page = log_in(chromium, server.url, "owner@sample.kr")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator(".row.is-selected")).to_have_attribute("data-id", str(older["conversation_id"]))
    page.keyboard.press("k")
    expect(page.locator(".row.is-selected")).to_have_attribute("data-id", str(newer["conversation_id"]))
    page.keyboard.press("Enter")
    expect(page.locator(".conv")).to_have_attribute("data-conversation-id", str(newer["conversation_id"]))

    page.keyboard.press("a")
    expect(page.locator('select[data-action="assign"]')).to_have_value(str(shop.owner.pk))
    page.keyboard.press("t")
    page.fill("#tag-input", "쿠폰")
    page.keyboard.press("Enter")
    expect(page.locator(".conv-tags .tag")).to_contain_text("#쿠폰")
    page.keyboard.press("p")
    page.keyboard.press("4")
    expect(page.locator('select[data-action="priority"]')).to_have_value("urgent")

    page.keyboard.press("r")
    expect(page.locator("#composer-text")).to_be_focused()
    page.keyboard.type("/배송")
    expect(page.locator("#canned-menu [data-canned]")).to_have_text(lambda_text("배송 안내"))
    page.keyboard.press("Enter")
    expect(page.locator("#composer-text")).to_have_value("오늘 출고되어 내일 도착 예정입니다.")
    page.keyboard.press("Escape")  # leave the text box; the draft stays
    page.keyboard.press("n")
    expect(page.locator("#composer")).to_have_attribute("data-mode", "note")
    page.reload()
    page.wait_for_function("window.sonnim && window.sonnim.realtime.socket.readyState === 1")
    expect(page.locator("#composer-text")).to_have_value("오늘 출고되어 내일 도착 예정입니다.")  # draft kept
    page.locator("#composer-text").press("Control+Enter")
    expect(page.locator("#timeline .msg-note")).to_contain_text("오늘 출고되어")

    page.keyboard.press("Escape")  # out of the composer: single keys are shortcuts again
    page.keyboard.press("e")
    expect(page.locator("[data-status-label]")).to_have_text("해결")
    conversation = Conversation.objects.get(pk=newer["conversation_id"])
    assert (conversation.status, conversation.priority, conversation.assignee_id) == (
        "resolved",
        "urgent",
        shop.owner.pk,
    )
    assert list(conversation.tags.values_list("name", flat=True)) == ["쿠폰"]

    page.keyboard.press("/")
    expect(page.locator("#top-search")).to_be_focused()
    page.keyboard.press("Escape")
    page.locator("#top-search").blur()
    page.keyboard.press("g")
    page.keyboard.press("i")
    page.wait_for_url(f"{server.url}/")
    page.context.close()


def test_second_agent_sees_who_is_viewing_and_typing(chromium, server, shop):
    from playwright.sync_api import expect

    posted = post_inbound(server.url, shop, "v-1", "윤아", "문의드립니다")
    url = f"{server.url}/?c={posted['conversation_id']}"
    first = log_in(chromium, server.url, "owner@sample.kr")
    first.goto(url)
    first.wait_for_function("window.sonnim && window.sonnim.realtime.socket.readyState === 1")
    second = log_in(chromium, server.url, "second@sample.kr")
    second.goto(url)
    expect(second.locator("#presence-bar")).to_have_text("김상담 님이 보고 있습니다")
    expect(first.locator("#presence-bar")).to_have_text("이지원 님이 보고 있습니다")
    first.locator("#composer-text").type("확인 중")
    expect(second.locator("#presence-bar")).to_have_text("김상담 님이 입력 중…")
    shot(second, "inbox-ko-collision")
    first.context.close()
    expect(second.locator("#presence-bar")).to_have_text("")
    second.context.close()


def test_reconnect_after_server_restart_applies_every_missed_message(
    chromium, shop, transactional_db, client
):
    from playwright.sync_api import expect

    server = Server()
    try:
        posted = post_inbound(server.url, shop, "r-1", "강민", "첫 문의")
        page = log_in(chromium, server.url, "owner@sample.kr")
        page.click(f'.row[data-id="{posted["conversation_id"]}"] .row-link')
        expect(page.locator("#timeline .msg-in")).to_have_count(1)
        server.stop()
        expect(page.locator("#offline-banner")).to_be_visible()
        shot(page, "inbox-ko-offline")
        # While the server is down, two messages arrive (through the same inbound API, in this process).
        for external_id, sender, text in (("r-2", "강민", "두 번째 문의"), ("r-3", "송하늘", "새 고객 문의")):
            response = client.post(
                shop.inbox_url, data=json.dumps(inbound_payload(external_id=external_id, sender_id=sender,
                                                                 text=text, sender={"name": sender})),
                content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {shop.inbox.key}",
            )  # fmt: skip
            assert response.status_code == 201
        server = Server(port=server.port)
        expect(page.locator("#offline-banner")).to_be_hidden(timeout=15000)
        expect(page.locator("#timeline .msg-in")).to_have_count(2)
        expect(page.locator("#timeline .msg-in").last).to_contain_text("두 번째 문의")
        expect(page.locator(".row")).to_have_count(2)
        expect(page.locator(".row").first).to_contain_text("새 고객 문의")
        expect(page.locator('[data-count="open"]')).to_have_text("2")
        page.context.close()
    finally:
        server.stop()


def test_korean_search_language_toggle_and_screens(chromium, server, shop):
    from playwright.sync_api import expect

    post_inbound(server.url, shop, "s-1", "오세훈", "환불해주세요")
    post_inbound(server.url, shop, "s-2", "Jane", "Where is my refund?")
    page = log_in(chromium, server.url, "owner@sample.kr")
    page.fill("#top-search", "환불")
    page.press("#top-search", "Enter")
    page.wait_for_url(f"{server.url}/search?q=*")
    expect(page.locator(".search-hit")).to_have_count(1)
    expect(page.locator(".search-hit mark")).to_have_text("환불")
    expect(page.locator(".search-hit p")).to_have_text("환불해주세요")
    page.fill("#search-q", "refund")  # live, through GET /api/v1/search
    expect(page.locator(".search-hit mark")).to_have_text("refund")
    page.fill("#search-q", "환불")
    expect(page.locator(".search-hit p")).to_have_text("환불해주세요")
    shot(page, "search-ko")

    page.goto(f"{server.url}/")
    expect(page.locator('[data-view-link="open"]')).to_contain_text("전체 진행 중")
    page.click("[data-lang-toggle]")
    expect(page.locator('[data-view-link="open"]')).to_contain_text("All open")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click(".row-link >> nth=0")
    expect(page.locator("#composer-send")).to_contain_text("Send")
    expect(page.locator(".customer-name")).to_contain_text("Jane")
    shot(page, "inbox-en-1280")
    page.click("[data-lang-toggle]")
    expect(page.locator('[data-view-link="open"]')).to_contain_text("전체 진행 중")

    page.set_viewport_size({"width": 800, "height": 1000})
    page.click(".row-link >> nth=0")
    expect(page.locator(".customer-name")).to_be_visible()
    shot(page, "inbox-ko-800")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server.url}/settings/inboxes")
    expect(page.locator("h1")).to_have_text("수신함")
    shot(page, "settings-inboxes-ko")
    page.context.close()


def api_call(base_url: str, token: str, method: str, path: str, body: dict | None = None) -> dict | None:
    """An agent's API call to the running server (the way another agent's browser or a script acts)."""
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body or {}).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=90) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def test_saved_filter_made_in_the_ui_shows_its_live_count(chromium, server, shop):
    from playwright.sync_api import expect

    from sonnim.conversations.models import SavedView
    from sonnim.core.services import create_api_token

    token = create_api_token(shop.other).key
    first = post_inbound(server.url, shop, "f-1", "고은", "환불 언제 되나요?")
    second = post_inbound(server.url, shop, "f-2", "나래", "배송 문의")
    api_call(
        server.url,
        token,
        "POST",
        f"/api/v1/conversations/{first['conversation_id']}/priority",
        {"priority": "urgent"},
    )
    page = log_in(chromium, server.url, "owner@sample.kr")
    page.click("#list-filter summary")
    page.select_option(".filter-form select[name=status]", "open")
    page.select_option(".filter-form select[name=priority]", "urgent")
    page.click("[data-apply-filter]")
    page.wait_for_function("window.sonnim && window.sonnim.realtime.socket.readyState === 1")
    expect(page.locator(".row")).to_have_count(1)
    shot(page, "inbox-ko-filter-form")
    page.fill("[data-save-view] input[name=name]", "급한 건")
    page.check("[data-save-view] input[name=is_shared]")
    page.click("[data-save-view] button[type=submit]")
    page.wait_for_function("window.sonnim && window.sonnim.realtime.socket.readyState === 1")
    saved = SavedView.objects.get()
    assert (saved.name, saved.is_shared, saved.filters) == (
        "급한 건",
        True,
        {"status": "open", "priority": "urgent"},
    )
    link = page.locator(f'[data-view-link="saved:{saved.pk}"]')
    expect(link).to_have_attribute("aria-current", "page")
    expect(page.locator(f'[data-count="saved:{saved.pk}"]')).to_have_text("1")
    # another agent raises the second conversation's priority: the count and the list follow live
    api_call(
        server.url,
        token,
        "POST",
        f"/api/v1/conversations/{second['conversation_id']}/priority",
        {"priority": "urgent"},
    )
    expect(page.locator(f'[data-count="saved:{saved.pk}"]')).to_have_text("2")
    expect(page.locator(f'.row[data-id="{second["conversation_id"]}"]')).to_be_visible()
    shot(page, "inbox-ko-saved-filter")
    # the other agent sees the shared view too, with its count
    other = log_in(chromium, server.url, "second@sample.kr")
    expect(other.locator(f'[data-count="saved:{saved.pk}"]')).to_have_text("2")
    other.context.close()
    page.click(f'[data-delete-view="{saved.pk}"]')
    expect(page.locator(f'[data-view-link="saved:{saved.pk}"]')).to_have_count(0)
    assert not SavedView.objects.exists()
    page.context.close()


def test_unread_is_bold_clears_on_open_and_returns_live(chromium, server, shop):
    from playwright.sync_api import expect

    first = post_inbound(server.url, shop, "u-1", "민호", "첫 문의")
    post_inbound(server.url, shop, "u-2", "민호", "추가 문의")
    second = post_inbound(server.url, shop, "u-3", "서연", "다른 문의")
    page = log_in(chromium, server.url, "owner@sample.kr")
    row1 = page.locator(f'.row[data-id="{first["conversation_id"]}"]')
    row2 = page.locator(f'.row[data-id="{second["conversation_id"]}"]')
    expect(row1).to_have_class(lambda_text("is-unread"))
    expect(row1.locator(".unread-count")).to_have_attribute("data-unread", "2")
    assert row1.locator(".customer").evaluate("e => getComputedStyle(e).fontWeight") == "800"  # bold
    shot(page, "inbox-ko-unread")
    row1.locator(".row-link").click()
    expect(page.locator("#timeline .msg-in")).to_have_count(2)
    expect(row1.locator(".unread-count")).to_have_count(0)
    expect(row1).not_to_have_class(lambda_text("is-unread"))
    # a message in the conversation being read stays read
    post_inbound(server.url, shop, "u-4", "민호", "세 번째 문의")
    expect(page.locator("#timeline .msg-in")).to_have_count(3)
    page.wait_for_timeout(500)
    expect(row1.locator(".unread-count")).to_have_count(0)
    # move on; a new message in the first conversation makes it unread again, live
    row2.locator(".row-link").click()
    expect(row2.locator(".unread-count")).to_have_count(0)
    post_inbound(server.url, shop, "u-5", "민호", "네 번째 문의")
    expect(row1.locator(".unread-count")).to_have_attribute("data-unread", "1", timeout=3000)
    expect(row1).to_have_class(lambda_text("is-unread"))
    page.reload()  # and the server agrees
    expect(page.locator(f'.row[data-id="{first["conversation_id"]}"] .unread-count')).to_have_text(
        lambda_text("1")
    )
    expect(page.locator(f'.row[data-id="{second["conversation_id"]}"] .unread-count')).to_have_count(0)
    page.context.close()


def test_reply_on_another_channel_goes_out_through_that_inbox(chromium, fresh_server, shop):
    from playwright.sync_api import expect

    server = fresh_server
    with RecordingServer(Behaviour(body={"id": "app-1"})) as app_hook:
        app = create_inbox(
            shop.workspace, kind="api", name="앱 알림", webhook_url=f"{app_hook.url}/app"
        ).inbox
        posted = post_inbound(server.url, shop, "x-1", "하늘", "앱으로 답 주세요")
        page = log_in(chromium, server.url, "owner@sample.kr")
        page.click(f'.row[data-id="{posted["conversation_id"]}"] .row-link')
        expect(page.locator("#composer-inbox option")).to_have_count(2)
        expect(page.locator(".customer-name")).to_contain_text("하늘")  # the composer is wired after this
        page.select_option("#composer-inbox", str(app.pk))
        page.fill("#composer-text", "앱 알림으로 안내드립니다.")
        page.press("#composer-text", "Control+Enter")
        # the page opens the customer's conversation on that inbox, where the reply is delivered
        expect(page.locator(".conv")).not_to_have_attribute(
            "data-conversation-id", str(posted["conversation_id"])
        )
        target = Conversation.objects.get(inbox=app)
        expect(page.locator(".conv")).to_have_attribute("data-conversation-id", str(target.pk))
        outbound = page.locator("#timeline .msg-out")
        expect(outbound).to_contain_text("앱 알림으로 안내드립니다.")
        expect(outbound.locator(".delivery")).to_contain_text("전송됨", timeout=30_000)
        shot(page, "inbox-ko-reply-other-channel")
        [request] = app_hook.requests
        assert request.path == "/app" and request.json()["text"] == "앱 알림으로 안내드립니다."
        assert request.json()["recipient"] == {"external_id": "하늘"}
        note = Message.objects.get(conversation_id=posted["conversation_id"], direction="note")
        assert f"#{target.pk}" in note.text
        page.context.close()


def test_language_toggle_persists_across_logout_and_login(chromium, server, shop):
    from playwright.sync_api import expect

    page = log_in(chromium, server.url, "owner@sample.kr")
    expect(page.locator('[data-view-link="open"]')).to_contain_text("전체 진행 중")
    page.click("[data-lang-toggle]")
    expect(page.locator('[data-view-link="open"]')).to_contain_text("All open")
    page.click("form[action='/logout/'] button")
    page.wait_for_url(lambda_text("/"))
    page.context.close()
    shop.owner.refresh_from_db()
    assert shop.owner.language == "en"
    again = log_in(chromium, server.url, "owner@sample.kr")  # a new browser: no cookie, the profile decides
    expect(again.locator("html")).to_have_attribute("lang", "en")
    expect(again.locator('[data-view-link="open"]')).to_contain_text("All open")
    again.click("[data-lang-toggle]")
    expect(again.locator('[data-view-link="open"]')).to_contain_text("전체 진행 중")
    again.context.close()
