from django.db import models
from django.utils import timezone

from sonnim.core.models import WorkspaceOwned
from sonnim.customers.models import Customer

from .choices import OrderStatus


class Product(WorkspaceOwned):
    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    price_krw = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "sku"], name="product_unique_sku")]


class Order(WorkspaceOwned):
    """An order from the shop platform, enough for the customer's purchase history."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=100)
    platform = models.CharField(max_length=40, blank=True, default="")  # cafe24, smartstore, shopify, csv...
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PAID)
    total_krw = models.BigIntegerField(default=0)
    ordered_at = models.DateTimeField(default=timezone.now)
    tracking_number = models.CharField(max_length=60, blank=True, default="")
    carrier = models.CharField(max_length=60, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "number"], name="order_unique_number")]
        indexes = [models.Index(fields=["workspace", "customer", "-ordered_at"], name="order_customer_idx")]


class OrderItem(WorkspaceOwned):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=300)
    option = models.CharField(max_length=200, blank=True, default="")
    quantity = models.PositiveIntegerField(default=1)
    unit_price_krw = models.BigIntegerField(default=0)
