"""Writes of outreach: AlimTalk templates (register, edit, review status) and sends (queue, record the
dealer's answer). Each opens the transaction, locks, saves with update_fields and records its event."""

import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.core import crypto
from sonnim.core.actors import Actor
from sonnim.core.choices import ActorKind
from sonnim.core.errors import SonnimError
from sonnim.core.jobs import enqueue_on_commit
from sonnim.core.models import Workspace
from sonnim.customers.models import Customer
from sonnim.inboxes.choices import ChannelKind
from sonnim.inboxes.models import Inbox

from . import events
from .choices import TEMPLATE_TRANSITIONS, Fallback, SendStatus, TemplateStatus
from .errors import OutreachError
from .models import AlimTalkSend, AlimTalkTemplate

RENDERED_MAX_CHARS = 1_000  # Kakao's AlimTalk body limit, checked on the rendered text
SMS_MAX_BYTES = 90  # an SMS in EUC-KR; longer fallbacks go as LMS
VARIABLE = re.compile(r"#\{([^{}#]+)\}")


def template_variables(body: str) -> list[str]:
    """The #{변수} names of a template body, in order of first appearance."""
    return list(dict.fromkeys(name.strip() for name in VARIABLE.findall(body)))


def render(body: str, variables: dict[str, str]) -> str:
    """Fill every #{변수}; a missing one is an error that lists all that are missing."""
    missing = [name for name in template_variables(body) if str(variables.get(name, "")).strip() == ""]
    if missing:
        raise SonnimError(
            OutreachError.MISSING_VARIABLES,
            _("Fill in every template variable: %(names)s.") % {"names": ", ".join(missing)},
            details={"missing": missing},
        )
    return VARIABLE.sub(lambda m: str(variables[m.group(1).strip()]), body)


def fallback_for(text: str, *, wanted: bool) -> str:
    if not wanted:
        return Fallback.NONE
    return Fallback.SMS if len(text.encode("euc-kr", errors="replace")) <= SMS_MAX_BYTES else Fallback.LMS


def _check_inbox(inbox: Inbox) -> None:
    if inbox.kind != ChannelKind.KAKAO_COUNSEL:
        raise SonnimError(
            OutreachError.NOT_A_DEALER_INBOX, _("AlimTalk goes through a KakaoTalk dealer (상담톡) inbox.")
        )


def _check_body(body: str) -> None:
    if not body.strip():
        raise SonnimError("invalid_input", _("The template body is empty."))
    if len(body) > RENDERED_MAX_CHARS:
        raise SonnimError(
            OutreachError.TOO_LONG,
            _("AlimTalk templates are limited to %(limit)s characters.")
            % {"limit": f"{RENDERED_MAX_CHARS:,}"},
            details={"limit": RENDERED_MAX_CHARS, "length": len(body)},
        )


@transaction.atomic
def register_template(
    workspace: Workspace,
    *,
    inbox: Inbox,
    code: str,
    name: str,
    body: str,
    buttons: list | None = None,
    fallback_sms: bool = False,
    actor: Actor,
) -> AlimTalkTemplate:
    """A new template, `requested` until Kakao's review result is recorded with set_template_status."""
    _check_inbox(inbox)
    _check_body(body)
    try:
        with transaction.atomic():
            template = AlimTalkTemplate.objects.create(
                workspace=workspace,
                inbox=inbox,
                code=code,
                name=name,
                body=body,
                buttons=buttons or [],
                fallback_sms=fallback_sms,
            )
    except IntegrityError as exc:
        raise SonnimError(
            OutreachError.TEMPLATE_CODE_TAKEN, _("A template with this code exists."), status=409
        ) from exc
    events.template_event(template, "alimtalk.template_registered", actor=actor)
    return template


@transaction.atomic
def update_template(template: AlimTalkTemplate, *, actor: Actor, **changes) -> AlimTalkTemplate:
    """Edit name, body, buttons or fallback. A changed body or buttons needs Kakao's review again."""
    unknown = set(changes) - {"name", "body", "buttons", "fallback_sms"}
    if unknown:
        raise SonnimError("invalid_input", _("These fields cannot be changed."), details=sorted(unknown))
    if "body" in changes:
        _check_body(changes["body"])
    template = AlimTalkTemplate.objects.select_for_update().get(
        pk=template.pk, workspace_id=template.workspace_id
    )
    changed = [k for k, v in changes.items() if getattr(template, k) != v]
    if not changed:
        return template
    for k in changed:
        setattr(template, k, changes[k])
    if {"body", "buttons"} & set(changed):
        template.status, template.rejection_reason = TemplateStatus.REQUESTED, ""
        changed += ["status", "rejection_reason"]
    template.updated_at = timezone.now()
    template.save(update_fields=[*changed, "updated_at"])
    events.template_event(template, "alimtalk.template_updated", actor=actor, fields=sorted(changes))
    return template


@transaction.atomic
def set_template_status(
    template: AlimTalkTemplate, *, status: str, actor: Actor, reason: str = ""
) -> AlimTalkTemplate:
    """Record the review's progress. Same status again is a no-op."""
    template = AlimTalkTemplate.objects.select_for_update().get(
        pk=template.pk, workspace_id=template.workspace_id
    )
    if template.status == status:
        return template
    if status not in TEMPLATE_TRANSITIONS.get(template.status, set()):
        raise SonnimError(
            OutreachError.INVALID_TRANSITION,
            _("A %(current)s template cannot become %(new)s.") % {"current": template.status, "new": status},
            status=409,
        )
    previous = template.status
    template.status = status
    template.rejection_reason = reason[:300] if status == TemplateStatus.REJECTED else ""
    template.updated_at = timezone.now()
    template.save(update_fields=["status", "rejection_reason", "updated_at"])
    events.template_event(template, "alimtalk.template_status_changed", actor=actor, previous=previous)
    return template


@transaction.atomic
def send_alimtalk(
    template: AlimTalkTemplate,
    customer: Customer,
    *,
    variables: dict[str, str],
    idempotency_key: str,
    actor: Actor,
) -> AlimTalkSend:
    """Queue one AlimTalk to the customer's phone; a task hands it to the dealer after commit. The same key
    again returns the first send (a different request under that key is refused)."""
    variables = {str(k): str(v) for k, v in variables.items()}
    existing = AlimTalkSend.objects.filter(
        workspace_id=template.workspace_id, idempotency_key=idempotency_key
    )
    if (found := existing.first()) is not None:
        return _replayed(found, template, customer, variables)
    if template.status != TemplateStatus.APPROVED:
        raise SonnimError(
            OutreachError.TEMPLATE_NOT_APPROVED,
            _("Only approved templates can be sent (this one is %(status)s).") % {"status": template.status},
            status=409,
        )
    if not customer.phone:
        raise SonnimError(OutreachError.NO_PHONE, _("This customer has no phone number."))
    text = render(template.body, variables)
    if len(text) > RENDERED_MAX_CHARS:
        raise SonnimError(
            OutreachError.TOO_LONG,
            _("The filled-in AlimTalk has %(count)s characters; the limit is %(limit)s.")
            % {"count": f"{len(text):,}", "limit": f"{RENDERED_MAX_CHARS:,}"},
            details={"limit": RENDERED_MAX_CHARS, "length": len(text)},
        )
    try:
        with transaction.atomic():
            send = AlimTalkSend.objects.create(
                workspace_id=template.workspace_id,
                template=template,
                customer=customer,
                phone_index=crypto.phone_index(customer.phone),
                rendered_text=text,
                variables=variables,
                idempotency_key=idempotency_key,
                fallback=fallback_for(text, wanted=template.fallback_sms),
                created_by_id=actor.id if actor.kind == ActorKind.AGENT else None,
            )
    except IntegrityError:  # a concurrent send with the same key won
        return _replayed(existing.get(), template, customer, variables)
    events.send_event(send, "alimtalk.queued", actor=actor)
    from .tasks import deliver_alimtalk

    enqueue_on_commit(deliver_alimtalk, workspace_id=send.workspace_id, send_id=send.pk)
    return send


def _replayed(
    send: AlimTalkSend, template: AlimTalkTemplate, customer: Customer, variables: dict
) -> AlimTalkSend:
    if (send.template_id, send.customer_id, send.variables) != (template.pk, customer.pk, variables):
        raise SonnimError(
            OutreachError.IDEMPOTENCY_KEY_REUSED,
            _("This idempotency key was used for a different send."),
            status=422,
        )
    return send


@transaction.atomic
def record_alimtalk_result(
    send: AlimTalkSend,
    *,
    ok: bool,
    reason: str = "",
    dealer_message_id: str = "",
    retry: bool = False,
    actor: Actor,
) -> AlimTalkSend:
    """The outcome of one attempt: sent, failed for good, or (retry) still queued with the reason; the caller
    re-enqueues after the backoff."""
    send = AlimTalkSend.objects.select_for_update().get(pk=send.pk, workspace_id=send.workspace_id)
    if send.status != SendStatus.QUEUED:  # another run finished it
        return send
    send.attempts += 1
    send.failure_reason = "" if ok else reason[:300]
    fields = ["attempts", "failure_reason"]
    if ok:
        send.status, send.sent_at, send.dealer_message_id = (
            SendStatus.SENT,
            timezone.now(),
            dealer_message_id[:200],
        )
        fields += ["status", "sent_at", "dealer_message_id"]
    elif not retry:
        send.status = SendStatus.FAILED
        fields.append("status")
    send.save(update_fields=fields)
    type_ = "alimtalk.sent" if ok else ("alimtalk.retrying" if retry else "alimtalk.failed")
    events.send_event(send, type_, actor=actor)
    return send


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=settings.DELIVERY_BACKOFF_SECONDS * (2**attempts))
