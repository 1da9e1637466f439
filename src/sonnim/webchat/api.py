"""For admins: the <script> tag of a webchat inbox's widget and how the shop signs its members."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from sonnim.core.auth import agent_auth
from sonnim.core.choices import ADMIN_ROLES
from sonnim.core.errors import CoreError, SonnimError
from sonnim.inboxes.selectors import get_inbox

from .services import ensure_widget

router = Router(tags=["webchat"], auth=agent_auth)


class WidgetOut(Schema):
    inbox_id: int
    widget_key: str
    script_url: str
    snippet: str
    member_signature: str


@router.get("/inboxes/{inbox_id}/widget", response=WidgetOut)
def widget(request: HttpRequest, inbox_id: int) -> WidgetOut:
    if request.auth.agent.role not in ADMIN_ROLES:
        raise SonnimError(CoreError.PERMISSION_DENIED, _("Only admins can see the widget code."), status=403)
    inbox = get_inbox(request.auth.workspace, inbox_id)
    made = ensure_widget(inbox)
    script = f"{settings.PUBLIC_URL}/widget/{made.public_key}.js"
    return WidgetOut(
        inbox_id=inbox.pk,
        widget_key=made.public_key,
        script_url=script,
        snippet=f'<script src="{script}" async></script>',
        member_signature='hex HMAC-SHA256(inbox signing secret, member_id + "\\n" + email), in '
        "window.SonnimChat = {member: {id, email, name, signature}} before the script",
    )
