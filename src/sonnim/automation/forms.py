"""Forms of the automation settings pages: routing rules, automation rules, survey switches. They parse
shapes; the services validate (conditions, action parameters, time triggers) and their messages land on
the field they concern."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from sonnim.core.models import Team
from sonnim.inboxes.choices import ChannelKind

from .models import RoutingRule
from .rules.services import EVENT_TYPES
from .rules.timers import ANCHORS, TIME_EVENT


def parse_words(text: str) -> list[str]:
    return list(dict.fromkeys(w.strip() for w in text.split(",") if w.strip()))


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    order = forms.IntegerField(label=_("Order"), initial=0, help_text=_("The first matching rule applies."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    channel_kinds = forms.MultipleChoiceField(
        label=_("Channels"), choices=ChannelKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    categories = forms.CharField(label=_("Categories"), required=False, help_text=_("Comma-separated."))
    languages = forms.CharField(
        label=_("Languages"), required=False, help_text=_("Comma-separated, e.g. ko, en.")
    )
    customer_tiers = forms.CharField(
        label=_("Customer tiers"), required=False, help_text=_("Comma-separated, e.g. vip.")
    )
    team = forms.TypedChoiceField(label=_("Team"), coerce=int)
    strategy = forms.ChoiceField(
        label=_("Assign to an agent by"),
        choices=[
            (RoutingRule.ROUND_ROBIN, _("Round robin")),
            (RoutingRule.LEAST_LOAD, _("Least load")),
            (RoutingRule.TEAM_ONLY, _("Team only (no agent)")),
        ],
    )

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.for_workspace(workspace).order_by("name")
        self.fields["team"].choices = [("", "—")] + [(t.pk, t.name) for t in teams]

    @classmethod
    def initial_for(cls, rule: RoutingRule | None) -> dict | None:
        if rule is None:
            return None
        return {
            "name": rule.name,
            "order": rule.order,
            "is_active": rule.is_active,
            "channel_kinds": rule.channel_kinds,
            "categories": ", ".join(rule.categories),
            "languages": ", ".join(rule.languages),
            "customer_tiers": ", ".join(rule.customer_tiers),
            "team": rule.team_id,
            "strategy": rule.strategy,
        }

    def rule_fields(self) -> dict:
        d = self.cleaned_data
        return {
            "name": d["name"].strip(),
            "order": d["order"],
            "is_active": d["is_active"],
            "channel_kinds": d["channel_kinds"],
            "categories": parse_words(d["categories"]),
            "languages": parse_words(d["languages"]),
            "customer_tiers": parse_words(d["customer_tiers"]),
            "team_id": d["team"],
            "strategy": d["strategy"],
        }


EVENT_LABELS = {
    "conversation.created": _("A conversation is created"),
    "message.received": _("A message is received"),
    "conversation.status_changed": _("The status changes"),
    "conversation.priority_changed": _("The priority changes"),
    "conversation.assigned": _("The assignee changes"),
    "conversation.tags_changed": _("The tags change"),
    "conversation.team_changed": _("The team changes"),
    "sla.warning": _("An SLA target is about to breach"),
    "sla.breached": _("An SLA target is breached"),
    TIME_EVENT: _("Time passes (time-based)"),
}
ANCHOR_LABELS = {
    "created": _("since the conversation was opened"),
    "status_changed": _("since it entered its current status"),
    "assignee_changed": _("since the assignee last changed"),
    "last_message": _("since the last message"),
    "awaiting_customer": _("since our reply, with no customer answer"),
    "awaiting_agent": _("since the customer's message, with no reply"),
}


class JsonListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return []
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("This is not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(parsed, list):
            raise forms.ValidationError(_("Write a JSON list: [ … ]."))
        return parsed


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    order = forms.IntegerField(label=_("Order"), initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    event_type = forms.ChoiceField(
        label=_("When"), choices=[(e, EVENT_LABELS.get(e, e)) for e in sorted(EVENT_TYPES)]
    )
    time_since = forms.ChoiceField(
        label=_("Time-based: count"),
        required=False,
        choices=[("", "—")] + [(a, ANCHOR_LABELS[a]) for a in ANCHORS],
    )
    time_minutes = forms.IntegerField(label=_("Time-based: minutes"), required=False, min_value=1)
    time_calendar = forms.TypedChoiceField(
        label=_("Time-based: count in"), required=False, coerce=int, empty_value=None
    )
    conditions = JsonListField(
        label=_("Conditions (all must hold)"),
        required=False,
        help_text=_('[{"field": "status", "op": "eq", "value": "pending"}]'),
    )
    actions = JsonListField(
        label=_("Actions (in order)"),
        help_text=_('[{"type": "add_tags", "params": {"tags": ["follow-up"]}}]'),
    )

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from sonnim.sla.models import BusinessHours

        calendars = BusinessHours.objects.for_workspace(workspace).order_by("name")
        self.fields["time_calendar"].choices = [("", _("Calendar time (24/7)"))] + [
            (c.pk, c.name) for c in calendars
        ]

    @classmethod
    def initial_for(cls, rule) -> dict | None:
        if rule is None:
            return None
        trigger = rule.time_trigger or {}
        return {
            "name": rule.name,
            "order": rule.order,
            "is_active": rule.is_active,
            "event_type": rule.event_type,
            "time_since": trigger.get("since", ""),
            "time_minutes": trigger.get("minutes"),
            "time_calendar": trigger.get("calendar_id"),
            "conditions": json.dumps(rule.conditions, ensure_ascii=False, indent=1)
            if rule.conditions
            else "",
            "actions": json.dumps(rule.actions, ensure_ascii=False, indent=1),
        }

    def clean(self):
        data = super().clean()
        if data.get("event_type") == TIME_EVENT:
            if not data.get("time_since"):
                self.add_error("time_since", _("A time-based rule needs a start."))
            if not data.get("time_minutes"):
                self.add_error("time_minutes", _("A time-based rule needs a number of minutes."))
        return data

    def rule_fields(self) -> dict:
        d = self.cleaned_data
        trigger = {}
        if d["event_type"] == TIME_EVENT:
            trigger = {
                "since": d["time_since"],
                "minutes": d["time_minutes"],
                "calendar_id": d["time_calendar"],
            }
        return {
            "name": d["name"].strip(),
            "order": d["order"],
            "is_active": d["is_active"],
            "event_type": d["event_type"],
            "time_trigger": trigger,
            "conditions": d["conditions"],
            "actions": d["actions"],
        }


# which form field a rules service error concerns
RULE_ERROR_FIELDS = {
    "invalid_rule_event": "event_type",
    "invalid_rule_condition": "conditions",
    "invalid_action": "actions",
    "invalid_action_params": "actions",
    "invalid_rule": "actions",
    "invalid_time_trigger": "time_minutes",
    "calendar_not_found": "time_calendar",
}


class SurveySwitchForm(forms.Form):
    csat_enabled = forms.BooleanField(
        label=_("Ask for satisfaction (CSAT 1-5) after resolution"), required=False
    )
    nps_enabled = forms.BooleanField(
        label=_("Ask how likely customers recommend the shop (NPS 0-10, at most every 90 days)"),
        required=False,
    )
