"""Writes of customer rows: identity resolution, profile edits, merge and unmerge."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.core import crypto, rows
from sonnim.core.actors import Actor
from sonnim.core.bulk import insert_rows
from sonnim.core.errors import SonnimError
from sonnim.core.models import Workspace
from sonnim.inboxes.adapters.base import ChannelEvent, SenderIdentity

from . import events
from .errors import CustomerError
from .models import Customer, CustomerMerge, Identity


def resolve_customer(workspace: Workspace, *, kind: str, sender: SenderIdentity, actor: Actor) -> Customer:
    """Known identity -> its customer; else a verified email/phone -> that customer; else a new one.
    Runs inside the caller's transaction; two first messages of one sender racing end on one identity."""
    identity = _find_identity(workspace, kind, sender.external_id)
    if identity is not None:
        return _follow_merges(identity.customer)
    existing = _find_by_contact(workspace, sender) if sender.is_verified else None
    try:
        # One savepoint for the new customer and its identity: when a concurrent first message of the same
        # sender made the identity first, both roll back (event and search entry too) and we use theirs.
        with transaction.atomic():
            customer = existing or _create_customer(workspace, sender, actor=actor)
            Identity.objects.create(
                workspace=workspace,
                customer=customer,
                kind=kind,
                external_id=sender.external_id,
                display_name=sender.name[:200],
            )
    except IntegrityError:
        identity = _find_identity(workspace, kind, sender.external_id)
        if identity is None:
            raise
        return _follow_merges(identity.customer)
    return customer


def resolve_customers(
    workspace: Workspace, *, kind: str, senders: list[SenderIdentity], actor: Actor
) -> dict[str, Customer]:
    """resolve_customer() for many senders of one channel (sender external id -> customer): the known
    identities in one query, the others one by one."""
    wanted = {sender.external_id: sender for sender in senders}
    if not wanted:  # a batch of duplicates or refusals: nothing to resolve, and SQL has no empty IN list
        return {}
    known = rows.select(  # every inbound message asks: hand-written SQL (core/rows.py)
        Identity,
        f"{{t}}.workspace_id = %s AND {{t}}.kind = %s AND {{t}}.external_id IN ({rows.placeholders(wanted)})",
        [workspace.pk, kind, *wanted],
        related=(("customer", Customer),),
    )
    found = {identity.external_id: _follow_merges(identity.customer) for identity in known}
    for external_id, sender in wanted.items():  # contact data may join an existing profile: one by one
        if external_id not in found and sender.is_verified and (sender.email or sender.phone):
            found[external_id] = resolve_customer(workspace, kind=kind, sender=sender, actor=actor)
    new = [sender for external_id, sender in wanted.items() if external_id not in found]
    if new:
        # A concurrent first message of one of these senders makes the identity insert fail: the caller
        # (the pipeline's batch) rolls back to its savepoint and goes one by one.
        customers = create_customers(workspace, senders=new, actor=actor)
        insert_rows(
            [
                Identity(
                    workspace=workspace,
                    customer=customer,
                    kind=kind,
                    external_id=sender.external_id,
                    display_name=sender.name[:200],
                )
                for sender, customer in zip(new, customers, strict=True)
            ]
        )
        found.update((sender.external_id, customer) for sender, customer in zip(new, customers, strict=True))
    return found


def _find_identity(workspace: Workspace, kind: str, external_id: str) -> Identity | None:
    return rows.first(  # every inbound message asks: hand-written SQL (core/rows.py); the key is unique
        Identity,
        "{t}.workspace_id = %s AND {t}.kind = %s AND {t}.external_id = %s",
        [workspace.pk, kind, external_id],
        related=(("customer", Customer),),
    )


def _follow_merges(customer: Customer) -> Customer:
    seen = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id, workspace_id=customer.workspace_id)
    return customer


def _find_by_contact(workspace: Workspace, sender: SenderIdentity) -> Customer | None:
    live = Customer.objects.for_workspace(workspace).filter(merged_into__isnull=True)
    if sender.email:
        found = live.filter(email_index=crypto.email_index(sender.email)).order_by("pk").first()
        if found:
            return found
    if sender.phone:
        return live.filter(phone_index=crypto.phone_index(sender.phone)).order_by("pk").first()
    return None


def _create_customer(workspace: Workspace, sender: SenderIdentity, *, actor: Actor) -> Customer:
    return create_customer(workspace, name=sender.name, email=sender.email, phone=sender.phone, actor=actor)


@transaction.atomic  # a savepoint inside resolve_customer; its own transaction when called alone
def create_customer(
    workspace: Workspace,
    *,
    name: str = "",
    email: str = "",
    phone: str = "",
    member_id: str = "",
    actor: Actor,
) -> Customer:
    customer = _new_customer(workspace, name=name, email=email, phone=phone, member_id=member_id)
    customer.save(force_insert=True)
    events.customer_created(customer, actor=actor)
    from sonnim.conversations import search  # the search index is conversations' room

    search.index_customer(customer)
    return customer


def create_customers(workspace: Workspace, *, senders: list[SenderIdentity], actor: Actor) -> list[Customer]:
    """create_customer() for many senders at once (the pipeline's batch), in one insert per table."""
    customers = insert_rows(
        [
            _new_customer(workspace, name=sender.name, email=sender.email, phone=sender.phone)
            for sender in senders
        ]
    )
    events.customers_created(customers, actor=actor)
    from sonnim.conversations import search

    search.index_new_customers(customers)
    return customers


def _new_customer(
    workspace: Workspace, *, name: str, email: str, phone: str, member_id: str = ""
) -> Customer:
    return Customer(
        workspace=workspace,
        display_name=name[:200],
        email=crypto.normalize_email(email) if email else "",
        phone=phone.strip(),
        email_index=crypto.email_index(email),
        phone_index=crypto.phone_index(phone),
        member_id=member_id[:100],
    )


EDITABLE_FIELDS = ("display_name", "email", "phone", "address", "member_id", "tier", "tags", "notes")


@transaction.atomic
def update_customer(customer: Customer, *, actor: Actor, **changes) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk, workspace_id=customer.workspace_id)
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"has_marketing_consent"}
    if unknown:
        raise SonnimError("invalid_input", _("These fields cannot be changed."), details=sorted(unknown))
    changed = [name for name, value in changes.items() if getattr(customer, name) != value]
    if not changed:
        return customer
    for name in changed:
        setattr(customer, name, changes[name])
    if "email" in changed:
        customer.email = crypto.normalize_email(customer.email)
        customer.email_index = crypto.email_index(customer.email)
        changed.append("email_index")
    if "phone" in changed:
        customer.phone_index = crypto.phone_index(customer.phone)
        changed.append("phone_index")
    if "has_marketing_consent" in changed:
        customer.marketing_consent_at = timezone.now() if customer.has_marketing_consent else None
        changed.append("marketing_consent_at")
    customer.updated_at = timezone.now()
    customer.save(update_fields=[*changed, "updated_at"])
    events.customer_updated(
        customer, actor=actor, fields=sorted(set(changed) - {"email_index", "phone_index"})
    )
    from sonnim.conversations import search

    search.index_customer(customer)
    return customer


@transaction.atomic
def merge_customers(source: Customer, target: Customer, *, actor: Actor) -> CustomerMerge:
    """Move source's identities, conversations and orders to target; source stays as a pointer."""
    from sonnim.commerce.services import move_orders
    from sonnim.conversations.services import move_conversations

    if source.pk == target.pk:
        raise SonnimError(CustomerError.MERGE_SAME_CUSTOMER, _("A customer cannot be merged into itself."))
    source, target = _lock_pair(source, target)
    if source.merged_into_id or target.merged_into_id:
        raise SonnimError(CustomerError.ALREADY_MERGED, _("This customer was already merged."), status=409)
    identity_ids = list(Identity.objects.filter(customer=source).values_list("pk", flat=True))
    Identity.objects.filter(pk__in=identity_ids).update(customer=target)
    merge = CustomerMerge.objects.create(
        workspace_id=source.workspace_id,
        source=source,
        target=target,
        identity_ids=identity_ids,
        conversation_ids=move_conversations(source, target),
        order_ids=move_orders(source, target),
    )
    source.merged_into = target
    source.updated_at = timezone.now()
    source.save(update_fields=["merged_into", "updated_at"])
    events.customers_merged(merge, actor=actor)
    return merge


@transaction.atomic
def unmerge_customers(merge: CustomerMerge, *, actor: Actor) -> Customer:
    """Undo one merge: exactly what it moved goes back to the source, which becomes live again."""
    from sonnim.commerce.services import move_orders
    from sonnim.conversations.services import move_conversations

    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise SonnimError(CustomerError.MERGE_NOT_FOUND, _("This merge was already undone."), status=409)
    source, target = _lock_pair(merge.source, merge.target)
    Identity.objects.filter(pk__in=merge.identity_ids, customer=target).update(customer=source)
    move_conversations(target, source, ids=merge.conversation_ids)
    move_orders(target, source, ids=merge.order_ids)
    source.merged_into = None
    source.updated_at = timezone.now()
    source.save(update_fields=["merged_into", "updated_at"])
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    events.customers_unmerged(merge, actor=actor)
    return source


def _lock_pair(a: Customer, b: Customer) -> tuple[Customer, Customer]:
    """Lock both rows in pk order (no deadlock between a merge and its mirror) and return fresh copies."""
    rows = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[a.pk, b.pk]).order_by("pk")}
    return rows[a.pk], rows[b.pk]


ERASABLE_CONTACT_FIELDS = ("display_name", "email", "phone")


@transaction.atomic
def erase_contact_data(customer: Customer, *, actor: Actor, reason: str) -> Customer:
    """Erase the customer's name, email and phone (and their blind indexes and the identities' display
    names), e.g. when the customer withdraws the consent under which a channel gave them to us. Orders,
    conversations and KPIs stay. Erasing an already erased profile is a no-op: no event."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk, workspace_id=customer.workspace_id)
    erased = [name for name in ERASABLE_CONTACT_FIELDS if getattr(customer, name)]
    named_identities = Identity.objects.filter(customer=customer).exclude(display_name="")
    if not erased and not named_identities.exists():
        return customer
    for name in erased:
        setattr(customer, name, "")
    customer.email_index, customer.phone_index = "", ""
    customer.updated_at = timezone.now()
    customer.save(update_fields=[*erased, "email_index", "phone_index", "updated_at"])
    named_identities.update(display_name="")
    events.contact_data_erased(customer, actor=actor, fields=erased, reason=reason[:60])
    from sonnim.webchat.services import erase_visitor_data  # here: webchat imports customers

    erase_visitor_data(customer)  # the chat widget's copies (visitor names, message snapshots)
    from sonnim.conversations import search

    search.index_customer(customer)
    return customer


@transaction.atomic
def apply_channel_event(
    workspace: Workspace, *, kind: str, event: ChannelEvent, actor: Actor
) -> Customer | None:
    """A channel's non-message event (chat opened, friend added, consent withdrawn): merge its attributes
    into the sender's identity metadata and erase contact data when consent was withdrawn. A withdrawal
    from a sender we never saw changes nothing; other events create the customer, as a first message does."""
    if event.erases_contact_data and _find_identity(workspace, kind, event.sender.external_id) is None:
        return None
    customer = resolve_customer(workspace, kind=kind, sender=event.sender, actor=actor)
    identity = (
        Identity.objects.select_for_update()
        .filter(workspace=workspace, kind=kind, external_id=event.sender.external_id)
        .get()
    )
    changed = sorted(k for k, v in event.attributes.items() if identity.metadata.get(k) != v)
    if changed:
        identity.metadata = {**identity.metadata, **event.attributes}
        identity.save(update_fields=["metadata"])
        events.identity_updated(identity, actor=actor, event=event.name, keys=changed)
    if event.erases_contact_data:
        return erase_contact_data(customer, actor=actor, reason=f"{kind}.{event.name}")
    # Profile data the customer agreed to share (TalkTalk profile SUCCESS) fills empty fields only: what an
    # agent typed in wins.
    given = {"display_name": event.sender.name, "phone": event.sender.phone, "email": event.sender.email}
    fill = {name: value for name, value in given.items() if value and not getattr(customer, name)}
    return update_customer(customer, actor=actor, **fill) if fill else customer


@transaction.atomic
def add_identity(customer: Customer, *, kind: str, external_id: str, actor: Actor) -> Identity | None:
    """Give the customer a handle on a channel kind (an agent replies by email to the customer's known
    address). None when another customer already holds that handle: we never move it silently."""
    try:
        with transaction.atomic():
            identity = Identity.objects.create(
                workspace_id=customer.workspace_id, customer=customer, kind=kind, external_id=external_id
            )
    except IntegrityError:
        return None
    events.identity_updated(identity, actor=actor, event="added", keys=[])
    return identity
