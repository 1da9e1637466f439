from django.contrib import admin

from .models import Order, OrderItem, Product


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "number", "workspace", "status", "total_krw", "ordered_at")
    inlines = [OrderItemInline]
    raw_id_fields = ("customer",)


admin.site.register(Product)
