from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .auth import SESSION_WORKSPACE_KEY
from .models import Agent


@login_required
@require_POST
def switch_workspace(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """Agents in several workspaces choose one per session; others' ids are simply ignored."""
    if Agent.objects.filter(user=request.user, workspace_id=workspace_id, is_active=True).exists():
        request.session[SESSION_WORKSPACE_KEY] = workspace_id
    return redirect("/")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})
