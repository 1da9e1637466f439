"""Forms of the SLA settings pages: business hours (weekly hours with breaks, date overrides) and policies.
They parse and check shapes; the services decide (and their errors land on the form)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sonnim.conversations.choices import Priority
from sonnim.core.models import Team
from sonnim.inboxes.choices import ChannelKind

from .business_hours import parse_intervals
from .choices import EscalationAction, NoticeKind
from .models import BusinessHours

DAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
HOURS_HELP = _("Like 10:00-12:00, 13:00-17:00 (the gap is the break). Empty: closed.")
ESCALATION_ROWS = 3


def parse_hours(text: str) -> list[list[str]]:
    """ "10:00-12:00, 13:00-17:00" -> [["10:00", "12:00"], ["13:00", "17:00"]]; ValidationError if bad."""
    pairs = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        start, sep, end = part.partition("-")
        if not sep:
            raise forms.ValidationError(_("Write hours like 10:00-12:00, 13:00-17:00."))
        pairs.append([start.strip(), end.strip()])
    try:
        parse_intervals(pairs)
    except (ValueError, TypeError) as exc:
        raise forms.ValidationError(
            _("Write hours like 10:00-12:00, 13:00-17:00, in order and without overlaps.")
        ) from exc
    return pairs


def format_hours(pairs: list) -> str:
    return ", ".join(f"{a}-{b}" for a, b in pairs)


def parse_words(text: str) -> list[str]:
    return list(dict.fromkeys(w.strip() for w in text.split(",") if w.strip()))


class BusinessHoursForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Seoul")
    uses_public_holidays = forms.BooleanField(
        label=_("Closed on Korean public holidays"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for day, label in enumerate(DAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label, required=False, max_length=200, help_text=HOURS_HELP
            )

    @classmethod
    def initial_for(cls, hours: BusinessHours | None) -> dict:
        from .models import default_weekly_hours

        weekly = hours.weekly_hours if hours else default_weekly_hours()
        initial = {f"day_{d}": format_hours(weekly.get(str(d), [])) for d in range(7)}
        if hours:
            initial.update(
                name=hours.name, time_zone=hours.time_zone, uses_public_holidays=hours.uses_public_holidays
            )
        return initial

    def day_fields(self):
        return [self[f"day_{d}"] for d in range(7)]

    def clean(self):
        data = super().clean()
        weekly = {}
        for day in range(7):
            try:
                weekly[str(day)] = parse_hours(data.get(f"day_{day}", ""))
            except forms.ValidationError as exc:
                self.add_error(f"day_{day}", exc)
        data["weekly_hours"] = weekly
        return data


class OverrideForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.CharField(
        label=_("Hours"),
        required=False,
        max_length=200,
        help_text=_("Empty: closed all day (a company day off). Hours: a special opening."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def clean_hours(self) -> list:
        return parse_hours(self.cleaned_data["hours"])


def _team_choices(workspace) -> list[tuple]:
    return [("", "—")] + [(t.pk, t.name) for t in Team.objects.for_workspace(workspace).order_by("name")]


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    order = forms.IntegerField(label=_("Order"), initial=0, help_text=_("The first matching policy applies."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    calendar = forms.TypedChoiceField(label=_("Business hours"), required=False, coerce=int, empty_value=None)
    channel_kinds = forms.MultipleChoiceField(
        label=_("Channels"), choices=ChannelKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    priorities = forms.MultipleChoiceField(
        label=_("Priorities"), choices=Priority.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    categories = forms.CharField(label=_("Categories"), required=False, help_text=_("Comma-separated."))
    customer_tiers = forms.CharField(
        label=_("Customer tiers"), required=False, help_text=_("Comma-separated.")
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    first_response_minutes = forms.IntegerField(
        label=_("First response (minutes)"), required=False, min_value=1
    )
    first_response_business = forms.BooleanField(label=_("in business hours"), required=False, initial=True)
    next_response_minutes = forms.IntegerField(
        label=_("Next response (minutes)"), required=False, min_value=1
    )
    next_response_business = forms.BooleanField(label=_("in business hours"), required=False, initial=True)
    resolution_minutes = forms.IntegerField(label=_("Resolution (minutes)"), required=False, min_value=1)
    resolution_business = forms.BooleanField(label=_("in business hours"), required=False, initial=True)
    warning_percent = forms.IntegerField(
        label=_("Warn at (% of the target)"), initial=80, min_value=1, max_value=100
    )

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        calendars = BusinessHours.objects.for_workspace(workspace).order_by("name")
        self.fields["calendar"].choices = [("", _("Calendar time (24/7)"))] + [
            (c.pk, c.name) for c in calendars
        ]
        self.fields["team"].choices = _team_choices(workspace)
        for i in range(ESCALATION_ROWS):
            self.fields[f"esc_{i}_on"] = forms.ChoiceField(
                label=_("On"), required=False, choices=[("", "—"), *NoticeKind.choices]
            )
            self.fields[f"esc_{i}_action"] = forms.ChoiceField(
                label=_("Do"), required=False, choices=[("", "—"), *EscalationAction.choices]
            )
            self.fields[f"esc_{i}_priority"] = forms.ChoiceField(
                label=_("Priority"), required=False, choices=[("", "—"), *Priority.choices]
            )
            self.fields[f"esc_{i}_team"] = forms.TypedChoiceField(
                label=_("Team"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=_team_choices(workspace),
            )

    @classmethod
    def initial_for(cls, policy) -> dict:
        if policy is None:
            return {}
        initial = {
            name: getattr(policy, name)
            for name in (
                "name",
                "order",
                "is_active",
                "channel_kinds",
                "priorities",
                "first_response_minutes",
                "first_response_business",
                "next_response_minutes",
                "next_response_business",
                "resolution_minutes",
                "resolution_business",
                "warning_percent",
            )
        }
        initial.update(
            calendar=policy.calendar_id,
            team=policy.team_id,
            categories=", ".join(policy.categories),
            customer_tiers=", ".join(policy.customer_tiers),
        )
        for i, step in enumerate(policy.escalation[:ESCALATION_ROWS]):
            initial.update(
                {
                    f"esc_{i}_on": step.get("on", ""),
                    f"esc_{i}_action": step.get("action", ""),
                    f"esc_{i}_priority": step.get("priority", ""),
                    f"esc_{i}_team": step.get("team_id"),
                }
            )
        return initial

    def escalation_rows(self):
        return [
            [self[f"esc_{i}_on"], self[f"esc_{i}_action"], self[f"esc_{i}_priority"], self[f"esc_{i}_team"]]
            for i in range(ESCALATION_ROWS)
        ]

    def clean(self):
        data = super().clean()
        targets = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
        if not any(data.get(t) for t in targets):
            self.add_error(None, _("Set at least one target: first response, next response or resolution."))
        steps = []
        for i in range(ESCALATION_ROWS):
            on, action = data.get(f"esc_{i}_on"), data.get(f"esc_{i}_action")
            if not on and not action:
                continue
            if not on or not action:
                self.add_error(f"esc_{i}_action", _("Choose both when and what."))
                continue
            step = {"on": on, "action": action}
            if action == EscalationAction.RAISE_PRIORITY and data.get(f"esc_{i}_priority"):
                step["priority"] = data[f"esc_{i}_priority"]
            if action == EscalationAction.REASSIGN_TEAM:
                if not data.get(f"esc_{i}_team"):
                    self.add_error(f"esc_{i}_team", _("Choose the team to reassign to."))
                    continue
                step["team_id"] = data[f"esc_{i}_team"]
            steps.append(step)
        data["escalation"] = steps
        return data

    def policy_fields(self) -> dict:
        d = self.cleaned_data
        return {
            "name": d["name"].strip(),
            "order": d["order"],
            "is_active": d["is_active"],
            "calendar_id": d["calendar"],
            "channel_kinds": d["channel_kinds"],
            "priorities": d["priorities"],
            "categories": parse_words(d["categories"]),
            "customer_tiers": parse_words(d["customer_tiers"]),
            "team_id": d["team"],
            "first_response_minutes": d["first_response_minutes"],
            "first_response_business": d["first_response_business"],
            "next_response_minutes": d["next_response_minutes"],
            "next_response_business": d["next_response_business"],
            "resolution_minutes": d["resolution_minutes"],
            "resolution_business": d["resolution_business"],
            "warning_percent": d["warning_percent"],
            "escalation": d["escalation"],
        }
