"""Reads of customers: lookups and the 360 view."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from sonnim.core.errors import NotFound
from sonnim.core.models import Workspace

from .errors import CustomerError
from .models import Customer, CustomerMerge, Identity


def get_customer(workspace: Workspace, customer_id: int) -> Customer:
    customer = Customer.objects.for_workspace(workspace).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(CustomerError.CUSTOMER_NOT_FOUND, _("Customer not found."))
    return customer


def get_merge(workspace: Workspace, merge_id: int) -> CustomerMerge:
    merge = (
        CustomerMerge.objects.for_workspace(workspace).filter(pk=merge_id).select_related("source", "target")
    )
    found = merge.first()
    if found is None:
        raise NotFound(CustomerError.MERGE_NOT_FOUND, _("Merge not found."))
    return found


@dataclass
class Customer360:
    customer: Customer
    identities: list[Identity]
    orders: list  # commerce.models.Order with items
    conversations: list  # conversations.models.Conversation with inbox
    merges: list[CustomerMerge]


def customer_360(workspace: Workspace, customer_id: int) -> Customer360:
    """Everything about one customer in a fixed number of queries."""
    from sonnim.commerce.models import Order, OrderItem
    from sonnim.conversations.models import Conversation

    customer = get_customer(workspace, customer_id)
    orders = list(
        Order.objects.for_workspace(workspace)
        .filter(customer=customer)
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.order_by("pk")))
        .order_by("-ordered_at", "-pk")[:50]
    )
    conversations = list(
        Conversation.objects.for_workspace(workspace)
        .filter(customer=customer)
        .select_related("inbox", "assignee", "team", "customer", "sla_clock")
        .prefetch_related("tags")
        .order_by("-last_message_at", "-pk")[:50]
    )
    return Customer360(
        customer=customer,
        identities=list(customer.identities.order_by("pk")),
        orders=orders,
        conversations=conversations,
        merges=list(
            CustomerMerge.objects.for_workspace(workspace)
            .filter(target=customer, undone_at__isnull=True)
            .order_by("-pk")
        ),
    )
