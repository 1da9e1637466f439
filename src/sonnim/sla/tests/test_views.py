"""The business hours and SLA policy settings pages: list, create, edit, delete, validation messages,
admins only, workspace scope (Django test client, English UI)."""

from datetime import date

import pytest
from django.conf import settings
from django.test import Client

from sonnim.core.models import Team

from ..models import BusinessHours, BusinessHoursOverride, SlaPolicy

pytestmark = pytest.mark.django_db

WEEK = {f"day_{d}": "10:00-12:00, 13:00-17:00" if d < 5 else "" for d in range(7)}


def browser(agent) -> Client:
    """A logged-in client seeing the English UI (the agent's language, and the toggle's cookie)."""
    type(agent).objects.filter(pk=agent.pk).update(language="en")
    client = Client()
    client.force_login(agent.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_business_hours_create_edit_override_delete(owner):
    admin = browser(owner)
    assert "No business hours yet." in admin.get("/settings/business-hours").content.decode()
    created = admin.post(
        "/settings/business-hours/new",
        {
            "name": "본사",
            "time_zone": "Asia/Seoul",
            "uses_public_holidays": "on",
            **WEEK,
            "day_5": "10:00-13:00",
        },
    )
    assert created.status_code == 302
    hours = BusinessHours.objects.get()
    assert hours.weekly_hours["0"] == [["10:00", "12:00"], ["13:00", "17:00"]]
    assert (hours.weekly_hours["5"], hours.weekly_hours["6"], hours.uses_public_holidays) == (
        [["10:00", "13:00"]],
        [],
        True,
    )
    page = admin.get(f"/settings/business-hours/{hours.pk}").content.decode()
    assert 'value="10:00-12:00, 13:00-17:00"' in page
    # a day off and a special opening
    url = f"/settings/business-hours/{hours.pk}"
    day_off = {
        "override-date": "2026-12-24",
        "override-hours": "",
        "override-note": "창립기념일",
        "add_override": "1",
    }
    assert admin.post(url, day_off).status_code == 302
    opening = {"override-date": "2026-12-27", "override-hours": "11:00-15:00", "add_override": "1"}
    assert admin.post(url, opening).status_code == 302
    assert list(hours.overrides.order_by("date").values_list("date", "intervals")) == [
        (date(2026, 12, 24), []),
        (date(2026, 12, 27), [["11:00", "15:00"]]),
    ]
    page = admin.get(url).content.decode()
    assert "창립기념일" in page and "11:00-15:00" in page
    first = BusinessHoursOverride.objects.get(date=date(2026, 12, 24))
    assert admin.post(url, {"delete_override": first.pk}).status_code == 302
    assert hours.overrides.count() == 1
    # edit: Saturday closed
    assert admin.post(url, {"name": "본사", "time_zone": "Asia/Seoul", **WEEK}).status_code == 302
    hours.refresh_from_db()
    assert (hours.weekly_hours["5"], hours.uses_public_holidays) == ([], False)
    assert admin.post(url, {"delete": "1"}).status_code == 302
    assert not BusinessHours.objects.exists()


def test_business_hours_validation_messages(owner):
    admin = browser(owner)
    bad = admin.post(
        "/settings/business-hours/new",
        {"name": "x", "time_zone": "Mars/Base", **WEEK, "day_0": "13:00-12:00", "day_1": "9시부터"},
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "in order and without overlaps" in html and "Write hours like 10:00-12:00" in html
    assert not BusinessHours.objects.exists()
    bad_zone = admin.post("/settings/business-hours/new", {"name": "x", "time_zone": "Mars/Base", **WEEK})
    assert bad_zone.status_code == 400 and "Unknown time zone." in bad_zone.content.decode()
    admin.post("/settings/business-hours/new", {"name": "본사", "time_zone": "Asia/Seoul", **WEEK})
    taken = admin.post("/settings/business-hours/new", {"name": "본사", "time_zone": "Asia/Seoul", **WEEK})
    assert taken.status_code == 400 and "Business hours with this name exist." in taken.content.decode()
    assert BusinessHours.objects.count() == 1


def test_policy_create_edit_delete_and_calendar_in_use(owner, workspace):
    admin = browser(owner)
    team = Team.objects.create(workspace=workspace, name="VIP팀")
    admin.post("/settings/business-hours/new", {"name": "본사", "time_zone": "Asia/Seoul", **WEEK})
    hours = BusinessHours.objects.get()
    form = {
        "name": "채팅 1시간",
        "order": "1",
        "is_active": "on",
        "calendar": str(hours.pk),
        "channel_kinds": ["kakao", "webchat"],
        "priorities": ["high", "urgent"],
        "categories": "배송, 환불",
        "customer_tiers": "vip",
        "team": "",
        "first_response_minutes": "60",
        "first_response_business": "on",
        "resolution_minutes": "4320",
        "warning_percent": "80",
        "esc_0_on": "breached",
        "esc_0_action": "raise_priority",
        "esc_0_priority": "urgent",
        "esc_1_on": "warning",
        "esc_1_action": "reassign_team",
        "esc_1_team": str(team.pk),
    }
    assert admin.post("/settings/sla/new", form).status_code == 302
    policy = SlaPolicy.objects.get()
    assert (policy.calendar_id, policy.channel_kinds, policy.categories, policy.customer_tiers) == (
        hours.pk,
        ["kakao", "webchat"],
        ["배송", "환불"],
        ["vip"],
    )
    assert (policy.first_response_minutes, policy.first_response_business, policy.resolution_business) == (
        60,
        True,
        False,
    )
    assert policy.escalation == [
        {"on": "breached", "action": "raise_priority", "priority": "urgent"},
        {"on": "warning", "action": "reassign_team", "team_id": team.pk},
    ]
    listing = admin.get("/settings/sla").content.decode()
    assert "채팅 1시간" in listing and "본사" in listing
    assert 'value="배송, 환불"' in admin.get(f"/settings/sla/{policy.pk}").content.decode()
    # the calendar is in use: deleting it is refused with the reason
    refused = admin.post(f"/settings/business-hours/{hours.pk}", {"delete": "1"})
    assert refused.status_code == 400 and "채팅 1시간" in refused.content.decode()
    assert (
        admin.post(f"/settings/sla/{policy.pk}", {**form, "first_response_minutes": "30"}).status_code == 302
    )
    policy.refresh_from_db()
    assert policy.first_response_minutes == 30
    assert admin.post(f"/settings/sla/{policy.pk}", {"delete": "1"}).status_code == 302
    assert not SlaPolicy.objects.exists()


def test_policy_validation_messages(owner):
    admin = browser(owner)
    response = admin.post(
        "/settings/sla/new",
        {
            "name": "빈 정책",
            "order": "0",
            "warning_percent": "150",
            "esc_0_on": "breached",
            "esc_1_action": "reassign_team",
            "esc_1_on": "warning",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Set at least one target" in html
    assert "Ensure this value is less than or equal to 100." in html
    assert "Choose both when and what." in html and "Choose the team to reassign to." in html
    assert not SlaPolicy.objects.exists()


def test_pages_are_for_supervisors_of_this_workspace_only(agent, supervisor, other_workspace_agent):
    # The "done when": a supervisor configures hours and SLA; they see only those settings.
    lead = browser(supervisor)
    lead.post("/settings/business-hours/new", {"name": "본사", "time_zone": "Asia/Seoul", **WEEK})
    hours = BusinessHours.objects.get()
    page = lead.get("/settings/sla").content.decode()
    assert "/settings/routing" in page and "/settings/rules" in page
    assert "/settings/agents" not in page and "/settings/inboxes" not in page
    assert lead.get("/settings/agents").status_code == 403
    plain = browser(agent)
    assert plain.get("/settings/business-hours").status_code == 403
    assert plain.post(f"/settings/business-hours/{hours.pk}", {"delete": "1"}).status_code == 403
    assert plain.get("/settings/sla/new").status_code == 403
    from sonnim.core.choices import Role
    from sonnim.testing.fixtures import make_agent

    stranger = make_agent(other_workspace_agent.workspace, "boss@other.example", Role.OWNER)
    assert browser(stranger).post(f"/settings/business-hours/{hours.pk}", {"delete": "1"}).status_code == 404
    assert BusinessHours.objects.count() == 1
