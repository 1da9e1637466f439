"""Writes of commerce rows: orders from CSV or connectors, and moving them between customers."""

import csv
import io
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from sonnim.core import crypto
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event
from sonnim.core.models import Workspace
from sonnim.customers.models import Customer

from .choices import OrderStatus
from .errors import CommerceError
from .models import Order, OrderItem, Product

CSV_COLUMNS = (
    "order_number",
    "ordered_at",
    "status",
    "customer_name",
    "customer_email",
    "customer_phone",
    "member_id",
    "sku",
    "product_name",
    "quantity",
    "unit_price_krw",
)
REQUIRED = {"order_number", "ordered_at", "sku", "product_name", "quantity", "unit_price_krw"}


@dataclass
class ImportResult:
    orders_created: int = 0
    orders_updated: int = 0
    items: int = 0
    customers_created: int = 0
    errors: list[dict] = field(default_factory=list)


def import_orders_csv(workspace: Workspace, data: str, *, actor: Actor = SYSTEM) -> ImportResult:
    """One row per order item; rows of one order share order_number. An order already imported is
    replaced (status and items), so the same file imported twice changes nothing."""
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    missing = REQUIRED - set(reader.fieldnames or [])
    if missing:
        raise SonnimError(CommerceError.BAD_CSV, _("Missing columns."), details={"missing": sorted(missing)})
    grouped: OrderedDict[str, list[dict]] = OrderedDict()
    result = ImportResult()
    for line, row in enumerate(reader, start=2):
        problem = _row_problem(row)
        if problem:
            result.errors.append({"line": line, "problem": problem})
            continue
        grouped.setdefault(row["order_number"].strip(), []).append(row)
    tz = ZoneInfo(workspace.time_zone)
    for number, rows in grouped.items():
        with transaction.atomic():
            _upsert_order(workspace, number, rows, tz, result, actor=actor)
    return result


def _row_problem(row: dict) -> str:
    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            return f"{name} is empty"
    if not row["quantity"].strip().isdigit() or not row["unit_price_krw"].strip().lstrip("-").isdigit():
        return "quantity and unit_price_krw must be whole numbers"
    try:
        datetime.fromisoformat(row["ordered_at"].strip())
    except ValueError:
        return "ordered_at is not an ISO date/time"
    status = (row.get("status") or "paid").strip()
    if status not in OrderStatus.values:
        return f"unknown status {status}"
    return ""


def _upsert_order(
    workspace, number: str, rows: list[dict], tz, result: ImportResult, *, actor: Actor
) -> None:
    first = rows[0]
    # A re-imported order keeps its customer when the row names no one we know (a guest order): making a
    # new customer for it on every import would move the order away from the first one.
    existing = Order.objects.filter(workspace=workspace, number=number).select_related("customer").first()
    customer = _customer_for_row(workspace, first, result, fallback=existing.customer if existing else None)
    ordered_at = datetime.fromisoformat(first["ordered_at"].strip())
    if ordered_at.tzinfo is None:
        ordered_at = ordered_at.replace(tzinfo=tz)
    total = sum(int(r["quantity"]) * int(r["unit_price_krw"]) for r in rows)
    order, created = Order.objects.update_or_create(
        workspace=workspace,
        number=number,
        defaults={
            "customer": customer,
            "status": (first.get("status") or "paid").strip(),
            "ordered_at": ordered_at,
            "total_krw": total,
            "platform": "csv",
        },
    )
    OrderItem.objects.filter(order=order).delete()
    for r in rows:
        product, _created = Product.objects.get_or_create(
            workspace=workspace,
            sku=r["sku"].strip(),
            defaults={"name": r["product_name"].strip(), "price_krw": int(r["unit_price_krw"])},
        )
        OrderItem.objects.create(
            workspace=workspace,
            order=order,
            product=product,
            name=r["product_name"].strip(),
            quantity=int(r["quantity"]),
            unit_price_krw=int(r["unit_price_krw"]),
        )
        result.items += 1
    if created:
        result.orders_created += 1
        record_event(
            workspace, "order.imported", actor=actor, customer_id=customer.pk, data={"order_id": order.pk}
        )
    else:
        result.orders_updated += 1


def _customer_for_row(
    workspace: Workspace, row: dict, result: ImportResult, *, fallback: Customer | None = None
) -> Customer:
    live = Customer.objects.for_workspace(workspace).filter(merged_into__isnull=True).order_by("pk")
    member_id = (row.get("member_id") or "").strip()
    email = (row.get("customer_email") or "").strip()
    phone = (row.get("customer_phone") or "").strip()
    found = (
        (member_id and live.filter(member_id=member_id).first())
        or (email and live.filter(email_index=crypto.email_index(email)).first())
        or (phone and live.filter(phone_index=crypto.phone_index(phone)).first())
    )
    if found:
        return found
    if fallback is not None:
        return fallback
    from sonnim.customers.services import create_customer

    result.customers_created += 1
    return create_customer(
        workspace,
        name=(row.get("customer_name") or "").strip(),
        email=email,
        phone=phone,
        member_id=member_id,
        actor=SYSTEM,
    )


def move_orders(source: Customer, target: Customer, *, ids: list[int] | None = None) -> list[int]:
    """For merge/unmerge (inside their transaction)."""
    qs = Order.objects.filter(workspace_id=source.workspace_id, customer=source)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    moved = list(qs.order_by("pk").values_list("pk", flat=True))
    Order.objects.filter(pk__in=moved).update(customer=target)
    return moved


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price_krw: int
    option: str = ""


@transaction.atomic
def create_order(
    workspace: Workspace,
    *,
    customer: Customer,
    number: str,
    ordered_at: datetime,
    lines: list[OrderLine],
    status: str = OrderStatus.PAID,
    platform: str = "",
    tracking_number: str = "",
    carrier: str = "",
    actor: Actor = SYSTEM,
) -> Order:
    """One order with its items, as a platform connector (or the demo) reports it. Products are matched
    by SKU and made on first sight, like the CSV import."""
    if status not in OrderStatus.values:
        raise SonnimError("invalid_input", _("Unknown order status."), details={"status": status})
    order = Order.objects.create(
        workspace=workspace,
        customer=customer,
        number=number,
        status=status,
        ordered_at=ordered_at,
        total_krw=sum(line.quantity * line.unit_price_krw for line in lines),
        platform=platform,
        tracking_number=tracking_number,
        carrier=carrier,
    )
    for line in lines:
        product, _created = Product.objects.get_or_create(
            workspace=workspace, sku=line.sku, defaults={"name": line.name, "price_krw": line.unit_price_krw}
        )
        OrderItem.objects.create(
            workspace=workspace,
            order=order,
            product=product,
            name=line.name,
            option=line.option,
            quantity=line.quantity,
            unit_price_krw=line.unit_price_krw,
        )
    record_event(
        workspace, "order.created", actor=actor, customer_id=customer.pk, data={"order_id": order.pk}
    )
    return order
