"""SLA fixtures: a shop's business hours and a policy factory."""

import pytest

from sonnim.core.actors import SYSTEM
from sonnim.testing.fixtures import inbound_payload

from ..services import create_calendar, create_policy


@pytest.fixture
def shop_hours(workspace):
    """Mon-Fri 10:00-17:00 with a 12:00-13:00 lunch break, closed on Korean public holidays."""
    return create_calendar(workspace, name="평일 영업시간", actor=SYSTEM)


@pytest.fixture
def make_policy(workspace):
    def make(**fields):
        fields.setdefault("name", f"policy-{fields.get('order', 0)}")
        return create_policy(workspace, actor=SYSTEM, **fields)

    return make


@pytest.fixture
def sla_inbound(api_inbox, post_inbound):
    """sla_inbound(external_id, sender_id="u-1", text=...) -> the inbound API's JSON answer."""

    def send(external_id: str, sender_id: str = "u-1", text: str = "배송 언제 오나요?", **extra):
        response = post_inbound(api_inbox, inbound_payload(external_id, sender_id, text, **extra))
        assert response.status_code == 201, response.content
        return response.json()

    return send
