from enum import StrEnum


class CustomerError(StrEnum):
    CUSTOMER_NOT_FOUND = "customer_not_found"
    MERGE_SAME_CUSTOMER = "merge_same_customer"
    MERGE_NOT_FOUND = "merge_not_found"
    ALREADY_MERGED = "customer_already_merged"
