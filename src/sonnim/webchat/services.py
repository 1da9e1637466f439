"""Writes of the web chat widget: widgets, visitors, the visitor streams and their read marks.

The inbound pipeline is called by the entry points (views, consumer), between prepare_sender() and
record_visitor_message(), in one transaction."""

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.conversations.attachments import attachment_url, check_attachment
from sonnim.conversations.choices import Direction
from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import add_note
from sonnim.core import crypto
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.choices import ActorKind
from sonnim.core.errors import NotFound, SonnimError
from sonnim.core.models import Event
from sonnim.customers.models import Customer, Identity
from sonnim.inboxes.adapters.base import InboundAttachment, InboundMessage, OutboundMessage, SenderIdentity
from sonnim.inboxes.adapters.webchat import check_length
from sonnim.inboxes.choices import ChannelKind
from sonnim.inboxes.models import Inbox
from sonnim.knowledge.errors import KnowledgeError
from sonnim.knowledge.selectors import public_articles

from . import ratelimit, selectors
from . import settings as widget_settings
from .errors import WebchatError
from .events import KB_DEFLECTED, record_kb_deflected
from .models import Stream, StreamItem, Visitor, Widget
from .realtime import push_item

logger = logging.getLogger("sonnim.webchat")

TYPING_PER_MINUTE = 30  # typing hints a visitor may send (HTTP or websocket)
SUGGESTIONS_PER_MINUTE = 40  # article searches as a visitor types (debounced 300 ms by the widget)
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Member:
    """What the shop's page says about its logged-in member, with the shop's signature over it."""

    member_id: str = ""
    email: str = ""
    name: str = ""
    signature: str = ""


@dataclass(frozen=True)
class Session:
    visitor: Visitor
    token: str  # the browser keeps it; "" when the visitor's own token stays valid
    stream: Stream | None


# ---- widgets ----


@transaction.atomic
def ensure_widget(inbox: Inbox) -> Widget:
    """The inbox's widget (its public key), made on first use."""
    if inbox.kind != ChannelKind.WEBCHAT:
        raise SonnimError("invalid_input", _("Only web chat inboxes have a chat widget."))
    widget = Widget.objects.filter(inbox=inbox).first()
    if widget is not None:
        return widget
    try:
        with transaction.atomic():
            return Widget.objects.create(
                workspace_id=inbox.workspace_id, inbox=inbox, public_key="wgt_" + secrets.token_urlsafe(18)
            )
    except IntegrityError:
        return Widget.objects.get(inbox=inbox)


def member_signature(secret: str, member_id: str, email: str) -> str:
    """The signature the shop's server computes: hex HMAC-SHA256 with the inbox's signing secret over the
    UTF-8 bytes of member_id + "\\n" + email (either may be empty, not both; sent exactly as signed)."""
    return hmac.new(secret.encode(), f"{member_id}\n{email}".encode(), hashlib.sha256).hexdigest()


def verify_member(inbox: Inbox, member: Member) -> bool:
    if not (member.member_id or member.email) or not member.signature or not inbox.signing_secret:
        return False
    expected = member_signature(inbox.signing_secret, member.member_id, member.email)
    return hmac.compare_digest(expected, member.signature.strip().lower())


def member_handle(member: Member) -> str:
    if member.member_id:
        return f"member:{member.member_id}"[:255]
    return f"email:{crypto.email_index(member.email)[:40]}"  # no plaintext contact data in a handle


# ---- visitors ----


def check_rate(key: str, *, limit: int) -> None:
    if not ratelimit.allow(key, limit=limit):
        raise SonnimError(
            WebchatError.RATE_LIMITED, _("Too many requests. Please wait a moment."), status=429
        )


@transaction.atomic
def open_session(widget: Widget, *, token: str, member: Member | None) -> Session:
    """The visitor of `token`, or a new one. A signed member makes the visitor speak as that member; a page
    without one (the member logged out) never reuses a member's token: a new anonymous visitor starts, so
    the next person on a shared computer does not see the member's history."""
    visitor = selectors.visitor_for_token(widget, token)
    verified = member is not None and (member.member_id or member.email)
    if verified and not verify_member(widget.inbox, member):
        raise SonnimError(WebchatError.BAD_SIGNATURE, _("The member signature is not valid."), status=403)
    new_token = ""
    if visitor is None or (visitor.is_verified and not verified):
        new_token = "wv_" + secrets.token_urlsafe(32)
        public_id = secrets.token_hex(12)
        visitor = Visitor.objects.create(
            workspace_id=widget.workspace_id,
            inbox_id=widget.inbox_id,
            token_hash=crypto.secret_hash(new_token),
            public_id=public_id,
            external_id=f"visitor:{public_id}",
        )
    changes = {"last_seen_at": timezone.now()}
    if verified:
        changes.update(
            external_id=member_handle(member),
            is_verified=True,
            verified_email=member.email.strip(),
            name=member.name.strip()[:200],
        )
    for name, value in changes.items():
        setattr(visitor, name, value)
    visitor.save(update_fields=list(changes))
    return Session(visitor=visitor, token=new_token, stream=selectors.stream_of(visitor))


def clean_text(text: str) -> str:
    """Plain text only: control characters dropped (callers cap or check the length). The widget renders
    it as text (textContent) and the agent UI escapes it: no markup from a visitor ever runs."""
    return _CONTROL.sub("", str(text or "")).replace("\r\n", "\n").strip()


def inbound_for(
    visitor: Visitor,
    *,
    client_id: str,
    text: str,
    files: list[InboundAttachment] = (),
    answers: dict | None = None,
    contact: dict | None = None,
) -> InboundMessage:
    """The visitor's message as the pipeline's InboundMessage. The external id is the widget's own message
    id (scoped to the visitor), so a resend after a lost answer is stored once."""
    if not CLIENT_ID.match(client_id or ""):
        raise SonnimError(WebchatError.INVALID_MESSAGE, _("The message id is missing or malformed."))
    text = clean_text(text)
    check_length(text)  # message_too_long: refused, never silently cut
    if not text and not files:
        raise SonnimError(WebchatError.INVALID_MESSAGE, _("Write something or attach a file."))
    for f in files:
        check_attachment(f.filename, f.content_type, f.data)  # 413 / 415 before anything is written
    metadata: dict = {"webchat": {"client_id": client_id}}
    if answers:
        metadata["prechat"] = answers
    if contact:
        metadata["offline"] = {"reply_via": contact.get("reply_via", "email")}
    if visitor.is_verified:
        sender = SenderIdentity(
            external_id=visitor.external_id, name=visitor.name, email=visitor.verified_email, is_verified=True
        )
    elif contact:
        sender = SenderIdentity(
            external_id=visitor.external_id,
            name=contact.get("name", ""),
            email=contact.get("email", ""),
            phone=contact.get("phone", ""),
        )
    else:  # pre-chat questions named name / email / phone fill a new profile (unverified: never a join)
        given = answers or {}
        sender = SenderIdentity(
            external_id=visitor.external_id,
            name=given.get("name", "") or visitor.name,
            email=given.get("email", ""),
            phone=given.get("phone", ""),
        )
    return InboundMessage(
        inbox_id=visitor.inbox_id,
        external_id=f"wc:{visitor.public_id}:{client_id}",
        sender=sender,
        text=text,
        attachments=list(files),
        metadata=metadata,
    )


def clean_answers(widget: Widget, raw) -> dict:
    """Pre-chat answers: only the inbox's questions, short strings; a required one missing is refused."""
    questions = widget_settings.prechat_questions(widget.inbox.settings)
    raw = raw if isinstance(raw, dict) else {}
    answers = {}
    for q in questions:
        value = clean_text(str(raw.get(q["name"], ""))[:400])[:200]
        if q["options"] and value and value not in q["options"]:
            value = ""
        if value:
            answers[q["name"]] = value
    return answers


def missing_answers(widget: Widget, answers: dict) -> list[str]:
    questions = widget_settings.prechat_questions(widget.inbox.settings)
    return [q["name"] for q in questions if q["required"] and not answers.get(q["name"])]


def prepare_sender(visitor: Visitor) -> None:
    """A verified member's first message: join the shop's existing profile of that member id (with its
    orders) by giving it this webchat handle, before the pipeline resolves the customer. A verified email
    joins through the pipeline itself (SenderIdentity.is_verified)."""
    from sonnim.customers.services import add_identity

    if not visitor.is_verified or not visitor.external_id.startswith("member:"):
        return
    if selectors.customer_of(visitor) is not None:
        return
    customer = selectors.member_customer(visitor, visitor.external_id.removeprefix("member:"))
    if customer is not None:
        add_identity(customer, kind=ChannelKind.WEBCHAT, external_id=visitor.external_id, actor=SYSTEM)


def record_visitor_message(
    widget: Widget,
    visitor: Visitor,
    message: Message,
    *,
    duplicate: bool,
    answers: dict,
    contact: dict | None,
) -> dict:
    """After receive_message(), in its transaction: the visitor's message joins the visitor's stream (once),
    and pre-chat answers / an offline request become a note agents see at the top of their work."""
    conversation = message.conversation
    stream = stream_for(widget.inbox, conversation.customer)
    if duplicate:
        existing = StreamItem.objects.filter(stream=stream, message_id=message.pk).first()
        if existing is not None:
            return {**selectors.serialize_item(existing), "duplicate": True}
    item = append_item(stream, "message", message_payload(message), message_id=message.pk)
    lines = []
    if answers:
        questions = {q["name"]: q for q in widget_settings.prechat_questions(widget.inbox.settings)}
        lines.append(_("Pre-chat answers"))
        lines += [
            f"- {questions[k]['label']['ko'] if k in questions else k}: {v}" for k, v in answers.items()
        ]
    if contact:
        via = {"email": _("email"), "kakao": _("KakaoTalk"), "phone": _("phone")}.get(
            contact.get("reply_via"), ""
        )
        lines.append(_("Left while the chat was offline; answer by %(via)s.") % {"via": via or _("email")})
    if lines and not duplicate:
        add_note(conversation, text="\n".join(lines), actor=SYSTEM)
    return {**item, "duplicate": False}


# ---- streams ----


def stream_for(inbox: Inbox, customer: Customer) -> Stream:
    stream = Stream.objects.filter(inbox=inbox, customer=customer).first()
    if stream is not None:
        return stream
    try:
        with transaction.atomic():
            return Stream.objects.create(workspace_id=inbox.workspace_id, inbox=inbox, customer=customer)
    except IntegrityError:
        return Stream.objects.get(inbox=inbox, customer=customer)


def append_item(stream: Stream, kind: str, payload: dict, *, message_id: int | None = None) -> dict:
    """Number the item from the stream's counter (the UPDATE holds the row until commit: items commit in
    number order) and push it to the visitor's sockets after commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_item() must run inside the transaction of the change it shows")
    Stream.objects.filter(pk=stream.pk).update(last_seq=F("last_seq") + 1)
    seq = Stream.objects.values_list("last_seq", flat=True).get(pk=stream.pk)
    item = StreamItem.objects.create(
        workspace_id=stream.workspace_id,
        stream=stream,
        seq=seq,
        kind=kind,
        message_id=message_id,
        payload=payload,
    )
    data = selectors.serialize_item(item)
    transaction.on_commit(partial(push_item, stream.pk, data))
    return data


def message_payload(message: Message, *, author: str = "") -> dict:
    sender = (
        "visitor"
        if message.direction == Direction.IN
        else ("bot" if message.author_kind == "bot" else "agent")
    )
    files = [
        {"name": a.filename, "type": a.content_type, "size": a.size, "url": attachment_url(a)}
        for a in message.attachments.all()
    ]
    client_id = (message.metadata.get("webchat") or {}).get("client_id", "")
    return {
        "id": message.pk,
        "from": sender,
        "author": author,
        "text": message.text,
        "files": files,
        **({"client_id": client_id} if client_id else {}),
    }


@transaction.atomic
def push_reply(outbound: OutboundMessage, *, inbox_id: int) -> dict | None:
    """The webchat adapter's delivery: the reply joins the customer's stream (once, however often the task
    runs) and is pushed to the visitor's open widgets. None when the customer never chatted here."""
    message = (
        Message.objects.filter(pk=outbound.message_id, inbox_id=inbox_id)
        .select_related("conversation", "conversation__customer", "inbox")
        .prefetch_related("attachments")
        .first()
    )
    if message is None:
        return None
    stream = stream_for(message.inbox, message.conversation.customer)
    existing = StreamItem.objects.filter(stream=stream, message_id=message.pk).first()
    if existing is not None:
        return selectors.serialize_item(existing)
    Stream.objects.select_for_update().filter(pk=stream.pk).first()  # lock before checking again
    if StreamItem.objects.filter(stream=stream, message_id=message.pk).exists():
        return selectors.serialize_item(StreamItem.objects.get(stream=stream, message_id=message.pk))
    return append_item(
        stream, "message", message_payload(message, author=outbound.author_name), message_id=message.pk
    )


# ---- read receipts ----


@transaction.atomic
def mark_visitor_read(visitor: Visitor, *, seq: int) -> int:
    """The visitor saw their stream up to `seq`: our replies up to there are marked read for agents.
    Returns how many replies became read."""
    from sonnim.conversations.services import mark_read_by_customer

    stream = selectors.stream_of(visitor)
    if stream is None:
        return 0
    stream = Stream.objects.select_for_update().get(pk=stream.pk)
    seq = min(int(seq), stream.last_seq)
    if seq <= stream.visitor_read_seq:
        return 0
    previous = stream.visitor_read_seq
    stream.visitor_read_seq = seq
    stream.save(update_fields=["visitor_read_seq"])
    ids = [
        message_id
        for message_id, sender in StreamItem.objects.filter(
            stream=stream, kind="message", seq__gt=previous, seq__lte=seq, message_id__isnull=False
        ).values_list("message_id", "payload__from")
        if sender in ("agent", "bot")
    ]
    return mark_read_by_customer(stream.workspace_id, message_ids=ids) if ids else 0


def mark_agent_read(conversation: Conversation) -> dict | None:
    """An agent opened (or is looking at) a webchat conversation: the visitor sees their messages read.
    Cheap when nothing is new (one or two reads, no write)."""
    if conversation.inbox.kind != ChannelKind.WEBCHAT:
        return None
    stream = Stream.objects.filter(
        inbox_id=conversation.inbox_id, customer_id=conversation.customer_id
    ).first()
    if stream is None:
        return None
    last_in = (
        StreamItem.objects.filter(stream=stream, kind="message", payload__from="visitor")
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    if last_in is None or last_in <= stream.agent_read_seq:
        return None
    with transaction.atomic():
        if not Stream.objects.filter(pk=stream.pk, agent_read_seq__lt=last_in).update(agent_read_seq=last_in):
            return None  # another tab of an agent got there first
        return append_item(stream, "read", {"up_to": last_in})


# ---- erasure ----


@transaction.atomic
def erase_visitor_data(customer: Customer) -> int:
    """The widget's copies of a customer whose contact data is erased (customers.erase_contact_data): the
    verified email and name of the visitors speaking as them, and the texts, files and author names of
    the messages in their streams (the widget keeps the bubbles, empty and marked erased). The messages
    themselves stay with the conversations, as the erasure keeps them. Returns how many items it cleared."""
    handles = Identity.objects.filter(
        workspace_id=customer.workspace_id, customer_id=customer.pk, kind=ChannelKind.WEBCHAT
    ).values_list("external_id", flat=True)
    Visitor.objects.filter(workspace_id=customer.workspace_id, external_id__in=list(handles)).update(
        verified_email="", name=""
    )
    items = StreamItem.objects.filter(
        workspace_id=customer.workspace_id, stream__customer_id=customer.pk, kind="message"
    ).only("pk", "payload")
    cleared = 0
    for item in items:
        if item.payload.get(
            "erased"
        ):  # (not in SQL: a missing JSON key is NULL there, and NOT NULL drops it)
            continue
        keep = {k: item.payload[k] for k in ("id", "from", "client_id") if k in item.payload}
        item.payload = {**keep, "author": "", "text": "", "files": [], "erased": True}
        item.save(update_fields=["payload"])
        cleared += 1
    return cleared


# ---- help-center deflection ----


@transaction.atomic
def record_deflection(widget: Widget, visitor: Visitor, *, article_id: int) -> bool:
    """The visitor read a suggested article instead of starting a chat: one kb.deflected event per visitor
    and article (False when it was already counted). The visitor's row lock makes the check and the write
    one step, so two clicks at once count once."""
    article = public_articles(widget.inbox.workspace).filter(pk=article_id).first()
    if article is None:
        raise NotFound(KnowledgeError.ARTICLE_NOT_FOUND, _("Article not found."))
    Visitor.objects.select_for_update().filter(pk=visitor.pk).first()
    counted = Event.objects.filter(
        workspace_id=widget.workspace_id,
        type=KB_DEFLECTED,
        data__visitor_id=visitor.pk,
        data__article_id=article.pk,
    ).exists()
    if counted:
        return False
    customer = selectors.customer_of(visitor)
    record_kb_deflected(
        widget.workspace_id,
        actor=Actor.customer(customer) if customer else Actor(ActorKind.CUSTOMER),
        article_id=article.pk,
        inbox_id=widget.inbox_id,
        visitor_id=visitor.pk,
        customer_id=customer.pk if customer else None,
    )
    return True
