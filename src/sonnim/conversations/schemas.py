from datetime import datetime

from ninja import Field, Schema

from sonnim.sla.schemas import SlaOut, sla_out

from .attachments import attachment_url
from .models import Conversation, Message


class Ref(Schema):
    id: int
    name: str


class InboxRef(Schema):
    id: int
    kind: str
    name: str


class LastMessage(Schema):
    text: str
    created_at: datetime
    direction: str


class ConversationOut(Schema):
    id: int
    status: str
    priority: str
    subject: str
    category: str
    language: str
    urgency: str  # triage: high / medium / low ("" before triage)
    sentiment: str  # triage: negative / neutral / positive
    customer: Ref
    inbox: InboxRef
    assignee: Ref | None
    team: Ref | None
    tags: list[str]
    last_message: LastMessage
    message_count: int
    first_response_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    sla: SlaOut | None = None  # {"state", "due_at", "target"}; None when no SLA policy applies
    # the list call only: messages since the calling agent last read it (0 = read)
    unread_count: int | None = None


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    conversation_id: int
    direction: str
    author: dict
    text: str
    html: str
    quoted_text: str  # email: quoted history and signature, shown behind "show quoted text"
    is_auto_reply: bool  # machine-generated or bulk mail: never answered automatically
    delivery_status: str
    failure_reason: str
    attempts: int
    language: str
    category: str  # triage of inbound messages; "" on replies and notes
    urgency: str
    sentiment: str
    sentiment_score: float | None
    attachments: list[AttachmentOut]
    created_at: datetime


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class AttachmentIn(Schema):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=120)
    data_base64: str


class ReplyIn(Schema):
    text: str = Field("", max_length=100_000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    # reply only: send through another inbox of the workspace (see README "Replying on another channel");
    # None or the conversation's own inbox: the conversation's channel
    inbox_id: int | None = None


class AssignIn(Schema):
    assignee_id: int | None


class TeamIn(Schema):
    team_id: int | None


class StatusIn(Schema):
    status: str
    snoozed_until: datetime | None = None


class PriorityIn(Schema):
    priority: str


class TagsIn(Schema):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class SearchHitOut(Schema):
    conversation_id: int | None
    message_id: int | None
    customer_id: int | None
    customer_name: str
    text: str
    created_at: datetime | None


def conversation_out(c: Conversation) -> ConversationOut:
    """Reads only rows the selector fetched up front (no lazy relation)."""
    return ConversationOut(
        id=c.pk,
        status=c.status,
        priority=c.priority,
        subject=c.subject,
        category=c.category,
        language=c.language,
        urgency=c.urgency,
        sentiment=c.sentiment,
        customer=Ref(id=c.customer_id, name=c.customer.display_name),
        inbox=InboxRef(id=c.inbox_id, kind=c.inbox.kind, name=c.inbox.name),
        assignee=Ref(id=c.assignee_id, name=c.assignee.display_name) if c.assignee_id else None,
        team=Ref(id=c.team_id, name=c.team.name) if c.team_id else None,
        tags=sorted(t.name for t in c.tags.all()),  # one order whichever query fetched them
        last_message=LastMessage(
            text=c.last_message_preview, created_at=c.last_message_at, direction=c.last_message_direction
        ),
        message_count=c.message_count,
        first_response_at=c.first_response_at,
        resolved_at=c.resolved_at,
        created_at=c.created_at,
        sla=sla_out(c),
        unread_count=getattr(c, "unread_count", None),
    )


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.pk,
        conversation_id=m.conversation_id,
        direction=m.direction,
        author={
            "kind": m.author_kind,
            "id": m.author_agent_id,
            "name": m.author_agent.display_name if m.author_agent_id else "",
        },
        text=m.text,
        html=m.html,
        quoted_text=m.quoted_text,
        is_auto_reply=m.is_auto_reply,
        delivery_status=m.delivery_status,
        failure_reason=m.failure_reason,
        attempts=m.attempts,
        language=m.language,
        category=m.category,
        urgency=m.urgency,
        sentiment=m.sentiment,
        sentiment_score=m.sentiment_score,
        attachments=[
            AttachmentOut(
                id=a.pk, filename=a.filename, content_type=a.content_type, size=a.size, url=attachment_url(a)
            )
            for a in m.attachments.all()
        ],
        created_at=m.created_at,
    )


class SavedViewFilters(Schema):
    """The list API's query fields; assignee is an agent id, "me" (whoever looks) or "none"."""

    status: str | None = None
    assignee: str | None = None
    team: int | None = None
    inbox: int | None = None
    tag: str | None = Field(None, max_length=60)
    priority: str | None = None
    q: str | None = Field(None, max_length=200)


class SavedViewIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    is_shared: bool = False
    filters: SavedViewFilters


class SavedViewOut(Schema):
    id: int
    name: str
    is_shared: bool
    owner: Ref
    filters: dict
    count: int  # conversations matching now, as the left pane shows
    created_at: datetime


class ReplyChannelOut(Schema):
    inbox: InboxRef
    is_default: bool  # the conversation's own channel
