from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")  # shown in the help center (unless internal) and to the bot
    DRAFT = "draft", _("Draft")  # agents only, never searched


# The default e-commerce categories (the triage label codes); a shop may use any other code too.
CATEGORY_LABELS = {
    "delivery": _("Delivery"),
    "exchange_return": _("Exchanges & returns"),
    "refund": _("Refunds"),
    "order_change": _("Order changes & cancellations"),
    "product": _("Products"),
    "payment": _("Payment"),
    "account": _("Membership & account"),
    "coupon_points": _("Coupons & points"),
    "complaint": _("Complaints"),
    "other": _("Other"),
}
