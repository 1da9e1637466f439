from enum import StrEnum


class CommerceError(StrEnum):
    BAD_CSV = "bad_orders_csv"
    ORDER_NOT_FOUND = "order_not_found"
