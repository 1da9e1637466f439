"""AlimTalk: templates with #{변수}, review status, sends through the dealer (a local fake) with retries."""

import logging

import pytest

from sonnim.core.actors import SYSTEM
from sonnim.core.models import Event
from sonnim.customers.services import create_customer, update_customer
from sonnim.inboxes.services import create_inbox
from sonnim.outreach.models import AlimTalkSend, AlimTalkTemplate
from sonnim.outreach.services import render, template_variables
from sonnim.outreach.tasks import deliver_alimtalk
from sonnim.testing.fakes.base import Reply
from sonnim.testing.fakes.dealer import FakeDealer

PHONE = "010-2345-6789"
BODY = "#{고객명}님, 주문하신 #{상품명}이(가) 발송되었습니다.\n송장번호: #{송장번호}"
VARIABLES = {"고객명": "김민지", "상품명": "린넨 오버핏 반팔 셔츠 아이보리 L", "송장번호": "1234-5678-9012"}


@pytest.fixture
def dealer():
    with FakeDealer("dealer-api-key") as fake:
        yield fake


@pytest.fixture
def counsel(workspace, dealer):
    return create_inbox(
        workspace,
        kind="kakao_counsel",
        name="카카오 상담톡",
        settings={"dealer": "restdealer", "dealer_url": dealer.url, "sender_key": "sk-shop-1"},
        credentials={"api_key": "dealer-api-key", "webhook_secret": "s"},
    ).inbox


@pytest.fixture
def customer(workspace):
    return create_customer(workspace, name="김민지", phone=PHONE, actor=SYSTEM)


def register(api, supervisor, counsel, **extra):
    payload = {
        "inbox_id": counsel.pk,
        "code": "SHIPPED_01",
        "name": "발송 안내",
        "body": BODY,
        "fallback_sms": True,
    }
    return api(supervisor).post("/api/v1/alimtalk/templates", json={**payload, **extra})


@pytest.fixture
def approved(api, supervisor, counsel):
    template_id = register(api, supervisor, counsel).json()["id"]
    api(supervisor).post(f"/api/v1/alimtalk/templates/{template_id}/status", json={"status": "approved"})
    return AlimTalkTemplate.objects.get(pk=template_id)


def send(api, agent, template, customer, key="order-1-shipped", variables=None):
    payload = {
        "template_id": template.pk,
        "customer_id": customer.pk,
        "variables": VARIABLES if variables is None else variables,
        "idempotency_key": key,
    }
    return api(agent).post("/api/v1/alimtalk/send", json=payload)


def test_variables_are_listed_and_rendered():
    assert template_variables(BODY) == ["고객명", "상품명", "송장번호"]
    assert (
        render(BODY, VARIABLES)
        == "김민지님, 주문하신 린넨 오버핏 반팔 셔츠 아이보리 L이(가) 발송되었습니다.\n송장번호: 1234-5678-9012"
    )


def test_register_list_and_review_a_template(api, supervisor, agent, counsel, workspace):
    created = register(api, supervisor, counsel)
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["variables"], body["fallback_sms"]) == (
        "requested",
        ["고객명", "상품명", "송장번호"],
        True,
    )
    assert [t["code"] for t in api(agent).get("/api/v1/alimtalk/templates").json()] == ["SHIPPED_01"]
    url = f"/api/v1/alimtalk/templates/{body['id']}/status"
    assert api(supervisor).post(url, json={"status": "reviewing"}).json()["status"] == "reviewing"
    rejected = api(supervisor).post(url, json={"status": "rejected", "reason": "광고성 문구"}).json()
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "광고성 문구")
    wrong = api(supervisor).post(url, json={"status": "approved"})
    assert (wrong.status_code, wrong.json()["code"]) == (409, "alimtalk_invalid_transition")
    assert api(supervisor).post(url, json={"status": "requested"}).json()["status"] == "requested"
    changes = Event.objects.filter(workspace=workspace, type="alimtalk.template_status_changed").order_by(
        "seq"
    )
    assert [(e.data["previous"], e.data["status"]) for e in changes] == [
        ("requested", "reviewing"),
        ("reviewing", "rejected"),
        ("rejected", "requested"),
    ]


def test_agents_cannot_register_or_approve(api, agent, counsel):
    response = register(api, agent, counsel)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not AlimTalkTemplate.objects.exists()


def test_duplicate_code_and_non_dealer_inbox_are_refused(api, supervisor, counsel, workspace):
    register(api, supervisor, counsel)
    again = register(api, supervisor, counsel)
    assert (again.status_code, again.json()["code"]) == (409, "alimtalk_template_code_taken")
    talktalk = create_inbox(workspace, kind="talktalk", name="톡톡").inbox
    wrong = register(api, supervisor, talktalk, code="OTHER")
    assert (wrong.status_code, wrong.json()["code"]) == (400, "alimtalk_not_a_dealer_inbox")
    assert AlimTalkTemplate.objects.count() == 1


def test_send_reaches_the_dealer_without_the_phone_in_logs(
    approved, customer, dealer, workspace, api, agent, caplog
):
    with caplog.at_level(logging.DEBUG, logger="sonnim"):
        response = send(api, agent, approved, customer)
        assert response.status_code == 201
        send_id = response.json()["id"]
        assert deliver_alimtalk.call(workspace_id=workspace.pk, send_id=send_id) == "sent"
    assert dealer.bodies("/v1/alimtalk") == [
        {
            "sender_key": "sk-shop-1",
            "template_code": "SHIPPED_01",
            "phone": PHONE,
            "text": "김민지님, 주문하신 린넨 오버핏 반팔 셔츠 아이보리 L이(가) 발송되었습니다.\n송장번호: 1234-5678-9012",
            "buttons": [],
            "serial_number": f"alimtalk-{send_id}",
            "fallback": {
                "type": "LMS",
                "text": "김민지님, 주문하신 린넨 오버핏 반팔 셔츠 아이보리 L이(가) 발송되었습니다.\n송장번호: 1234-5678-9012",
            },
        }
    ]
    row = AlimTalkSend.objects.get(pk=send_id)
    assert (row.status, row.attempts, row.dealer_message_id, row.fallback) == (
        "sent",
        1,
        f"m-alimtalk-{send_id}",
        "LMS",
    )
    assert PHONE not in row.phone_index and "2345" not in row.phone_index
    assert "2345" not in caplog.text and "김민지" not in caplog.text
    sent = Event.objects.get(workspace=workspace, type="alimtalk.sent")
    assert sent.data == {
        "send_id": send_id,
        "template_id": approved.pk,
        "status": "sent",
        "fallback": "LMS",
        "attempts": 1,
        "reason": "",
    }
    assert "2345" not in str(sent.data)
    assert api(agent).get(f"/api/v1/alimtalk/sends/{send_id}").json()["status"] == "sent"


def test_short_text_falls_back_to_sms(api, supervisor, counsel, customer, agent):
    template_id = register(api, supervisor, counsel, code="SHORT", body="#{고객명}님 감사합니다").json()["id"]
    api(supervisor).post(f"/api/v1/alimtalk/templates/{template_id}/status", json={"status": "approved"})
    body = send(
        api, agent, AlimTalkTemplate.objects.get(pk=template_id), customer, variables={"고객명": "민지"}
    ).json()
    assert (body["fallback"], body["rendered_text"]) == ("SMS", "민지님 감사합니다")


def test_only_approved_templates_are_sent(api, supervisor, counsel, customer, agent):
    template = AlimTalkTemplate.objects.get(pk=register(api, supervisor, counsel).json()["id"])
    response = send(api, agent, template, customer)
    assert (response.status_code, response.json()["code"]) == (409, "alimtalk_template_not_approved")
    assert not AlimTalkSend.objects.exists()


def test_missing_variables_are_listed(approved, customer, api, agent):
    response = send(api, agent, approved, customer, variables={"고객명": "김민지", "송장번호": " "})
    assert (response.status_code, response.json()["code"]) == (400, "alimtalk_missing_variables")
    assert response.json()["details"] == {"missing": ["상품명", "송장번호"]}
    assert not AlimTalkSend.objects.exists()


def test_rendered_text_over_1000_characters_is_refused(approved, customer, api, agent):
    response = send(api, agent, approved, customer, variables={**VARIABLES, "상품명": "가" * 1000})
    assert (response.status_code, response.json()["code"]) == (400, "alimtalk_too_long")
    assert response.json()["details"]["limit"] == 1000
    assert not AlimTalkSend.objects.exists()


def test_customer_without_phone_is_refused(approved, workspace, api, agent):
    nobody = create_customer(workspace, name="번호없음", actor=SYSTEM)
    response = send(api, agent, approved, nobody)
    assert (response.status_code, response.json()["code"]) == (400, "alimtalk_customer_has_no_phone")


def test_same_idempotency_key_sends_once(approved, customer, api, agent, workspace):
    first = send(api, agent, approved, customer)
    again = send(api, agent, approved, customer)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = send(api, agent, approved, customer, variables={**VARIABLES, "송장번호": "9"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert AlimTalkSend.objects.count() == 1
    assert Event.objects.filter(workspace=workspace, type="alimtalk.queued").count() == 1


def test_dealer_failure_is_retried_then_recorded(approved, customer, dealer, workspace, api, agent):
    send_id = send(api, agent, approved, customer).json()["id"]
    dealer.then(Reply(503, {"code": "E500", "message": "down"}))
    assert deliver_alimtalk.call(workspace_id=workspace.pk, send_id=send_id) == "retrying"
    row = AlimTalkSend.objects.get(pk=send_id)
    assert (row.status, row.attempts, row.failure_reason) == (
        "queued",
        1,
        "Kakao dealer refused: E500 (the dealer had an internal error)",
    )
    assert deliver_alimtalk.call(workspace_id=workspace.pk, send_id=send_id) == "sent"
    assert deliver_alimtalk.call(workspace_id=workspace.pk, send_id=send_id) == "skipped"
    assert len(dealer.bodies("/v1/alimtalk")) == 2


def test_refusal_fails_for_good_with_alimtalk_failed(approved, customer, dealer, workspace, api, agent):
    send_id = send(api, agent, approved, customer).json()["id"]
    dealer.then(Reply(200, {"code": "E422", "message": "template mismatch"}))
    assert deliver_alimtalk.call(workspace_id=workspace.pk, send_id=send_id) == "failed"
    row = AlimTalkSend.objects.get(pk=send_id)
    assert (row.status, row.failure_reason) == (
        "failed",
        "Kakao dealer refused: E422 (the dealer found the message or template invalid)",
    )
    assert Event.objects.get(workspace=workspace, type="alimtalk.failed").data["reason"] == row.failure_reason


def test_phone_changed_after_queueing_is_not_sent(approved, customer, dealer, workspace, api, agent):
    send_id = send(api, agent, approved, customer).json()["id"]
    update_customer(customer, phone="010-0000-1111", actor=SYSTEM)
    assert deliver_alimtalk.call(workspace_id=workspace.pk, send_id=send_id) == "failed"
    assert dealer.requests == []


def test_other_workspace_cannot_use_the_template(approved, other_workspace_agent, api, other_workspace):
    stranger = create_customer(other_workspace, name="타인", phone=PHONE, actor=SYSTEM)
    response = send(api, other_workspace_agent, approved, stranger)
    assert (response.status_code, response.json()["code"]) == (404, "alimtalk_template_not_found")
