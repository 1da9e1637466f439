"""Customer 360, edits, merge and unmerge."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from sonnim.conversations.schemas import ConversationOut, conversation_out
from sonnim.core.auth import agent_auth

from . import selectors, services
from .models import Customer


class IdentityOut(Schema):
    id: int
    kind: str
    external_id: str
    display_name: str


class OrderItemOut(Schema):
    name: str
    option: str
    quantity: int
    unit_price_krw: int


class OrderOut(Schema):
    id: int
    number: str
    status: str
    total_krw: int
    ordered_at: datetime
    tracking_number: str
    items: list[OrderItemOut]


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    address: str
    member_id: str
    tier: str
    tags: list[str]
    notes: str
    has_marketing_consent: bool
    merged_into_id: int | None
    created_at: datetime


class MergeOut(Schema):
    id: int
    source_id: int
    target_id: int
    identity_ids: list[int]
    conversation_ids: list[int]
    order_ids: list[int]
    undone: bool


class Customer360Out(Schema):
    customer: CustomerOut
    identities: list[IdentityOut]
    orders: list[OrderOut]
    conversations: list[ConversationOut]
    merges: list[MergeOut]


class CustomerPatch(Schema):
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=500)
    member_id: str | None = Field(None, max_length=100)
    tier: str | None = Field(None, max_length=40)
    tags: list[str] | None = None
    notes: str | None = Field(None, max_length=10_000)
    has_marketing_consent: bool | None = None


class MergeIn(Schema):
    source_id: int
    target_id: int


router = Router(tags=["customers"], auth=agent_auth)


def customer_out(c: Customer) -> CustomerOut:
    return CustomerOut(
        id=c.pk,
        name=c.display_name,
        email=c.email,
        phone=c.phone,
        address=c.address,
        member_id=c.member_id,
        tier=c.tier,
        tags=c.tags,
        notes=c.notes,
        has_marketing_consent=c.has_marketing_consent,
        merged_into_id=c.merged_into_id,
        created_at=c.created_at,
    )


def merge_out(m) -> MergeOut:
    return MergeOut(
        id=m.pk,
        source_id=m.source_id,
        target_id=m.target_id,
        identity_ids=m.identity_ids,
        conversation_ids=m.conversation_ids,
        order_ids=m.order_ids,
        undone=m.undone_at is not None,
    )


@router.get("/customers/{int:customer_id}", response=Customer360Out)
def get_customer(request: HttpRequest, customer_id: int):
    """Customer 360: identities on every channel, orders with items, every conversation."""
    view = selectors.customer_360(request.auth.workspace, customer_id)
    return Customer360Out(
        customer=customer_out(view.customer),
        identities=[
            IdentityOut(id=i.pk, kind=i.kind, external_id=i.external_id, display_name=i.display_name)
            for i in view.identities
        ],
        orders=[
            OrderOut(
                id=o.pk,
                number=o.number,
                status=o.status,
                total_krw=o.total_krw,
                ordered_at=o.ordered_at,
                tracking_number=o.tracking_number,
                items=[
                    OrderItemOut(
                        name=i.name, option=i.option, quantity=i.quantity, unit_price_krw=i.unit_price_krw
                    )
                    for i in o.items.all()
                ],
            )
            for o in view.orders
        ],
        conversations=[conversation_out(c) for c in view.conversations],
        merges=[merge_out(m) for m in view.merges],
    )


@router.patch("/customers/{int:customer_id}", response=CustomerOut)
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch):
    ctx = request.auth
    customer = selectors.get_customer(ctx.workspace, customer_id)
    changes = payload.model_dump(exclude_unset=True)
    if "name" in changes:
        changes["display_name"] = changes.pop("name")
    customer = services.update_customer(
        customer, actor=ctx.actor, **{k: v for k, v in changes.items() if v is not None}
    )
    return customer_out(customer)


@router.post("/customers/merge", response={201: MergeOut})
def merge(request: HttpRequest, payload: MergeIn):
    """Move the source customer's identities, conversations and orders to the target."""
    ctx = request.auth
    source = selectors.get_customer(ctx.workspace, payload.source_id)
    target = selectors.get_customer(ctx.workspace, payload.target_id)
    return Status(201, merge_out(services.merge_customers(source, target, actor=ctx.actor)))


@router.post("/customers/merges/{merge_id}/undo", response=MergeOut)
def unmerge(request: HttpRequest, merge_id: int):
    """Undo one merge: exactly what it moved goes back."""
    ctx = request.auth
    merge = selectors.get_merge(ctx.workspace, merge_id)
    services.unmerge_customers(merge, actor=ctx.actor)
    return merge_out(selectors.get_merge(ctx.workspace, merge_id))
