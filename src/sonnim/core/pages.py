"""What every server-rendered agent page does first: require a login and an agent of a workspace, speak
the agent's language, show times in the workspace's zone, and (for settings) require an admin role, or a
supervisor's for the pages that run the desk (hours, SLA, routing, rules, surveys)."""

from collections.abc import Callable
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .auth import session_agent
from .choices import ADMIN_ROLES, SUPERVISOR_ROLES
from .selectors import agents_of_user


def activate_agent_locale(request: HttpRequest, agent) -> None:
    """The agent's profile language (the toggle saves it there: core.views.set_language); the language
    cookie only for a profile without one."""
    language = agent.language or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language
    timezone.activate(ZoneInfo(agent.workspace.time_zone))


def agent_page(view: Callable | None = None, *, admin: bool = False, supervisor: bool = False) -> Callable:
    """Decorate a page view; the view gets `request.agent` (with workspace and user loaded)."""

    def decorate(func: Callable) -> Callable:
        @login_required
        @wraps(func)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            agent = session_agent(request)
            if agent is None:
                return render(request, "conversations/pages/no_workspace.html", status=403)
            activate_agent_locale(request, agent)
            if (admin and agent.role not in ADMIN_ROLES) or (
                supervisor and agent.role not in SUPERVISOR_ROLES
            ):
                return render(request, "core/pages/forbidden.html", {"agent": agent}, status=403)
            request.agent = agent
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def js_strings() -> dict[str, str]:
    """The few strings the JS shows itself, translated here so that one catalog (django.po) holds all."""
    return {
        "just_now": _("just now"),
        "viewing": _("%(name)s is viewing"),
        "typing": _("%(name)s is typing…"),
        "send_failed": _("Could not save: %(reason)s"),
        "sent": _("Sent"),
        "saved": _("Saved"),
        "tag_prompt": _("Tag name"),
        "no_canned": _("No canned replies match."),
        "call_ringing": _("Incoming call: customer #%(id)s"),
        "no_results": _("No results."),
        "merge_confirm": _("Merge customer #%(source)s into this customer?"),
        "merged": _("Customers merged."),
        "attached": _("%(count)s file(s) attached"),
        "reconnected": _("Back online: all missed updates applied."),
        "new_conversation": _("New conversation"),
        "sent_elsewhere": _("Reply sent in conversation #%(id)s."),
    }


def chrome_context(request: HttpRequest, section: str = "inbox") -> dict:
    """The top bar: the agent, their other workspaces (switcher), whether settings are shown."""
    agent = request.agent
    return {
        "agent": agent,
        "memberships": list(agents_of_user(request.user)),
        "is_admin": agent.role in ADMIN_ROLES,
        "is_supervisor": agent.role in SUPERVISOR_ROLES,
        "section": section,
        "js_strings": js_strings(),
    }
