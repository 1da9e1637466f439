"""The admins' settings page for canned replies."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from sonnim.core.auth import AgentContext
from sonnim.core.errors import SonnimError
from sonnim.core.pages import agent_page, chrome_context

from . import selectors, services
from .models import CannedReply


class CannedReplyForm(forms.Form):
    title = forms.CharField(max_length=services.TITLE_MAX)
    text = forms.CharField(max_length=services.TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    is_shared = forms.BooleanField(required=False, initial=True)


@agent_page(admin=True)
def settings_canned_replies(request: HttpRequest) -> HttpResponse:
    agent = request.agent
    actor = AgentContext(agent=agent, workspace=agent.workspace).actor
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and "delete" in request.POST:
        reply = CannedReply.objects.for_workspace(agent.workspace).filter(pk=request.POST["delete"]).first()
        if reply is not None:
            services.delete_canned_reply(reply, actor=actor)
        return redirect("settings-canned-replies")
    if request.method == "POST" and form.is_valid():
        try:
            services.create_canned_reply(agent.workspace, created_by=agent, actor=actor, **form.cleaned_data)
            return redirect("settings-canned-replies")
        except SonnimError as exc:
            form.add_error(None, exc.message)
    replies = selectors.canned_replies_for(agent).select_related("created_by")
    context = {**chrome_context(request, "settings"), "form": form, "replies": replies}
    return render(request, "automation/pages/canned_replies.html", context)
