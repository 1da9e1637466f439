from sonnim.core.actors import Actor
from sonnim.core.events import PendingEvent, record_event, record_events

from .models import Customer, CustomerMerge


def customer_created(customer: Customer, *, actor: Actor) -> None:
    record_event(customer.workspace_id, "customer.created", actor=actor, customer_id=customer.pk)


def customers_created(customers: list[Customer], *, actor: Actor) -> None:
    record_events(
        [PendingEvent(c.workspace_id, "customer.created", customer_id=c.pk) for c in customers], actor=actor
    )


def customer_updated(customer: Customer, *, actor: Actor, fields: list[str]) -> None:
    # Field names only: the values may be PII.
    record_event(
        customer.workspace_id,
        "customer.updated",
        actor=actor,
        customer_id=customer.pk,
        data={"fields": fields},
    )


def customers_merged(merge: CustomerMerge, *, actor: Actor) -> None:
    record_event(
        merge.workspace_id,
        "customer.merged",
        actor=actor,
        customer_id=merge.target_id,
        data={
            "merge_id": merge.pk,
            "source_id": merge.source_id,
            "target_id": merge.target_id,
            "identities": len(merge.identity_ids),
            "conversations": len(merge.conversation_ids),
            "orders": len(merge.order_ids),
        },
    )


def customers_unmerged(merge: CustomerMerge, *, actor: Actor) -> None:
    record_event(
        merge.workspace_id,
        "customer.unmerged",
        actor=actor,
        customer_id=merge.source_id,
        data={"merge_id": merge.pk, "source_id": merge.source_id, "target_id": merge.target_id},
    )


def contact_data_erased(customer: Customer, *, actor: Actor, fields: list[str], reason: str) -> None:
    # Field names and the trigger only: the erased values never reach the event log.
    record_event(
        customer.workspace_id,
        "customer.contact_erased",
        actor=actor,
        customer_id=customer.pk,
        data={"fields": fields, "reason": reason},
    )


def identity_updated(identity, *, actor: Actor, event: str, keys: list[str]) -> None:
    record_event(
        identity.workspace_id,
        "identity.updated",
        actor=actor,
        customer_id=identity.customer_id,
        data={"identity_id": identity.pk, "kind": identity.kind, "event": event, "keys": keys},
    )
