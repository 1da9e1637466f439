"""The AlimTalk API: register templates and record their review, send a template to a customer's phone."""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from sonnim.core.auth import agent_auth
from sonnim.core.choices import SUPERVISOR_ROLES
from sonnim.core.errors import CoreError, SonnimError
from sonnim.customers.selectors import get_customer
from sonnim.inboxes.selectors import get_inbox

from . import selectors, services
from .choices import TemplateStatus
from .models import AlimTalkSend, AlimTalkTemplate

router = Router(tags=["alimtalk"], auth=agent_auth)


class TemplateIn(Schema):
    inbox_id: int
    code: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=5_000)
    buttons: list[dict] = Field(default_factory=list, max_length=5)
    fallback_sms: bool = False


class TemplateOut(Schema):
    id: int
    inbox_id: int
    code: str
    name: str
    body: str
    variables: list[str]
    buttons: list[dict]
    status: str
    rejection_reason: str
    fallback_sms: bool


class StatusIn(Schema):
    status: TemplateStatus
    reason: str = Field("", max_length=300)


class SendIn(Schema):
    template_id: int
    customer_id: int
    variables: dict[str, str] = Field(default_factory=dict)
    idempotency_key: str = Field(min_length=1, max_length=200)


class SendOut(Schema):
    id: int
    template_id: int
    customer_id: int
    status: str
    rendered_text: str
    fallback: str
    failure_reason: str
    attempts: int
    dealer_message_id: str
    created_at: datetime


def template_out(t: AlimTalkTemplate) -> TemplateOut:
    return TemplateOut(
        id=t.pk,
        inbox_id=t.inbox_id,
        code=t.code,
        name=t.name,
        body=t.body,
        variables=services.template_variables(t.body),
        buttons=t.buttons,
        status=t.status,
        rejection_reason=t.rejection_reason,
        fallback_sms=t.fallback_sms,
    )


def send_out(s: AlimTalkSend) -> SendOut:
    return SendOut(
        id=s.pk,
        template_id=s.template_id,
        customer_id=s.customer_id,
        status=s.status,
        rendered_text=s.rendered_text,
        fallback=s.fallback,
        failure_reason=s.failure_reason,
        attempts=s.attempts,
        dealer_message_id=s.dealer_message_id,
        created_at=s.created_at,
    )


def _require_supervisor(request: HttpRequest) -> None:
    if request.auth.agent.role not in SUPERVISOR_ROLES:
        raise SonnimError(
            CoreError.PERMISSION_DENIED, _("Only supervisors can manage AlimTalk templates."), status=403
        )


@router.get("/alimtalk/templates", response=list[TemplateOut])
def list_templates(request: HttpRequest):
    return [template_out(t) for t in selectors.templates_of(request.auth.workspace)]


@router.post("/alimtalk/templates", response={201: TemplateOut})
def register_template(request: HttpRequest, payload: TemplateIn):
    """Register a template (status `requested`); its #{변수} names are listed in `variables`."""
    _require_supervisor(request)
    ctx = request.auth
    template = services.register_template(
        ctx.workspace,
        inbox=get_inbox(ctx.workspace, payload.inbox_id),
        code=payload.code,
        name=payload.name,
        body=payload.body,
        buttons=payload.buttons,
        fallback_sms=payload.fallback_sms,
        actor=ctx.actor,
    )
    return Status(201, template_out(template))


@router.post("/alimtalk/templates/{template_id}/status", response=TemplateOut)
def set_template_status(request: HttpRequest, template_id: int, payload: StatusIn):
    """Record Kakao's review: reviewing, approved, rejected (with a reason), or requested again."""
    _require_supervisor(request)
    ctx = request.auth
    template = selectors.get_template(ctx.workspace, template_id)
    template = services.set_template_status(
        template, status=payload.status, reason=payload.reason, actor=ctx.actor
    )
    return template_out(template)


@router.post("/alimtalk/send", response={201: SendOut, 200: SendOut})
def send_alimtalk(request: HttpRequest, payload: SendIn):
    """Queue an approved template to the customer's phone. The same idempotency_key again returns the first
    send with 200."""
    ctx = request.auth
    template = selectors.get_template(ctx.workspace, payload.template_id)
    customer = get_customer(ctx.workspace, payload.customer_id)
    before = AlimTalkSend.objects.filter(
        workspace=ctx.workspace, idempotency_key=payload.idempotency_key
    ).exists()
    send = services.send_alimtalk(
        template,
        customer,
        variables=payload.variables,
        idempotency_key=payload.idempotency_key,
        actor=ctx.actor,
    )
    return Status(200 if before else 201, send_out(send))


@router.get("/alimtalk/sends/{send_id}", response=SendOut)
def get_send(request: HttpRequest, send_id: int):
    return send_out(selectors.get_send(request.auth.workspace, send_id))
