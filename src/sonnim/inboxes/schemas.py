from datetime import datetime

from ninja import Field, Schema


class SenderIn(Schema):
    external_id: str = Field(min_length=1, max_length=255)
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)


class AttachmentIn(Schema):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=120)
    data_base64: str


class InboundIn(Schema):
    external_id: str = Field(
        min_length=1, max_length=255, description="Your id of the message: a repeat is a no-op"
    )
    sender: SenderIn
    text: str = Field("", max_length=100_000)
    subject: str | None = Field(None, max_length=300)
    thread_key: str | None = Field(
        None, max_length=255, description="Messages with one key share a conversation"
    )
    sent_at: datetime | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class InboundOut(Schema):
    message_id: int
    conversation_id: int
    customer_id: int
    duplicate: bool


class BatchIn(Schema):
    messages: list[InboundIn] = Field(min_length=1, max_length=1000)


class BatchItemOut(Schema):
    index: int
    message_id: int | None = None
    conversation_id: int | None = None
    customer_id: int | None = None
    duplicate: bool | None = None
    error: dict | None = None


class BatchOut(Schema):
    created: int
    duplicates: int
    failed: int
    results: list[BatchItemOut]


class InboxOut(Schema):
    id: int
    kind: str
    name: str
    is_active: bool
    inbound_url: str
