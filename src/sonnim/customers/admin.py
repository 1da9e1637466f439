from django.contrib import admin

from .models import Customer, Identity


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    # Contact fields are deliberately not listed: they are PII and reads of them belong in the audit trail.
    list_display = ("id", "display_name", "workspace", "tier", "merged_into", "created_at")
    exclude = ("email_index", "phone_index")


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "customer", "workspace")
