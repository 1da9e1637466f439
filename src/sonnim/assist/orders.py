"""The bot's order answers: the customer's own latest order, or an order they prove is theirs (order
number + the phone number it was placed with)."""

import re
from dataclasses import dataclass

from sonnim.commerce.choices import OrderStatus
from sonnim.commerce.models import Order
from sonnim.core.crypto import phone_index
from sonnim.customers.models import Customer

PHONE = re.compile(r"01[016789][-\s.]?\d{3,4}[-\s.]?\d{4}")
ORDER_NUMBER_CANDIDATE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{4,40}")
REFUND_STATUS = re.compile(
    r"환불.{0,8}(됐|되었|완료|처리|들어왔|입금|받았)|(됐|되었|완료).{0,4}환불|"
    r"refund.{0,20}(done|processed|complete|through|yet|status)|(is|was|has) my refund",
    re.IGNORECASE,
)
DELIVERY_STATUS = re.compile(
    r"(제|내|저희|나의|저의|주문한|시킨|산|구매한).{0,12}(주문|물건|상품|택배|배송|옷|거)|배송 ?조회|송장 ?번호|운송장|"  # noqa: E501 - Korean text is wide
    r"주문 ?(상태|현황|확인)|언제 ?(와|오|도착|받|보내|발송|출고)|"
    r"where('s| is) my|my (order|package|parcel|delivery)|tracking (number|info)|order status|has my order",
    re.IGNORECASE,
)

STATUS_KO = {
    OrderStatus.PENDING_PAYMENT: "입금 대기 중",
    OrderStatus.PAID: "결제 완료(출고 준비 전)",
    OrderStatus.PREPARING: "상품 준비 중",
    OrderStatus.SHIPPED: "배송 중",
    OrderStatus.DELIVERED: "배송 완료",
    OrderStatus.CANCELLED: "주문 취소",
    OrderStatus.RETURNED: "반품 완료",
}
STATUS_EN = {
    OrderStatus.PENDING_PAYMENT: "awaiting payment",
    OrderStatus.PAID: "paid, not yet shipped",
    OrderStatus.PREPARING: "being prepared",
    OrderStatus.SHIPPED: "on its way",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.RETURNED: "returned",
}


def order_intent(text: str) -> str:
    """'refund_status', 'order_status' or '' (a general question the knowledge base answers)."""
    if REFUND_STATUS.search(text):
        return "refund_status"
    if DELIVERY_STATUS.search(text) or PHONE.search(text):
        return "order_status"
    return ""


def latest_order(customer: Customer | None) -> Order | None:
    if customer is None:
        return None
    return (
        Order.objects.for_workspace(customer.workspace_id)
        .filter(customer=customer)
        .order_by("-ordered_at", "-pk")
        .first()
    )


def find_claimed_order(customer: Customer, text: str) -> Order | None:
    """The order whose number appears in the text and whose customer's phone is the phone in the text.
    A wrong phone finds nothing, and says nothing about whether the number exists."""
    phone = PHONE.search(text)
    if phone is None:
        return None
    candidates = {m.group(0) for m in ORDER_NUMBER_CANDIDATE.finditer(PHONE.sub(" ", text))}
    if not candidates:
        return None
    order = (
        Order.objects.for_workspace(customer.workspace_id)
        .filter(number__in=candidates)
        .select_related("customer")
        .first()
    )
    if order is None or not order.customer.phone_index:
        return None
    return order if order.customer.phone_index == phone_index(phone.group(0)) else None


@dataclass(frozen=True)
class OrderAnswer:
    text: str
    order_number: str


def describe_order(order: Order, *, intent: str, language: str) -> OrderAnswer:
    en = language == "en"
    status = (STATUS_EN if en else STATUS_KO).get(order.status, order.status)
    if intent == "refund_status":
        done = order.status in (OrderStatus.RETURNED, OrderStatus.CANCELLED)
        if en:
            text = (
                f"Order {order.number} is {status}, so your refund has been processed. Card refunds can take "
                "3-7 days to show on your statement."
                if done
                else f"Order {order.number} is {status}; no refund has been processed for it yet."
            )
        else:
            text = (
                f"주문 {order.number}은(는) {status} 상태로 환불이 처리되었어요. 카드 결제는 카드사에 따라 "
                "3~7일 뒤에 취소 내역이 보일 수 있어요."
                if done
                else f"주문 {order.number}은(는) 현재 {status} 상태예요. 아직 환불 처리된 내역은 없어요."
            )
        return OrderAnswer(text, order.number)
    tracking = ""
    if order.tracking_number:
        carrier = f"{order.carrier} " if order.carrier else ""
        tracking = (
            f" Tracking: {carrier}{order.tracking_number}."
            if en
            else f" 송장번호: {carrier}{order.tracking_number}"
        )
    text = (
        f"Order {order.number} is {status}.{tracking}"
        if en
        else f"주문 {order.number}은(는) 현재 {status} 상태예요.{tracking}"
    )
    return OrderAnswer(text.strip(), order.number)
