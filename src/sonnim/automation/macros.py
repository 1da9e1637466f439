"""Macro / canned-reply text with variables: {customer_name}, {order_number}, {tracking_url},
{agent_name}. Rendering reports the variables that had no value, so the composer can warn and a rule can
refuse to send half a sentence."""

import re
from dataclasses import dataclass

VARIABLES = ("customer_name", "order_number", "tracking_url", "agent_name")
_PATTERN = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: list[str]  # variables used in the text that had no value (left as written)


def render(text: str, values: dict[str, str]) -> Rendered:
    missing: list[str] = []

    def fill(match: re.Match) -> str:
        value = values.get(match.group(1)) or ""
        if not value:
            if match.group(1) not in missing:
                missing.append(match.group(1))
            return match.group(0)
        return value

    return Rendered(_PATTERN.sub(fill, text), missing)


def conversation_values(conversation, *, agent=None) -> dict[str, str]:
    """The variables' values for one conversation: the customer's latest order and its tracking link."""
    from sonnim.commerce.models import Order

    values = {
        "customer_name": conversation.customer.display_name,
        "agent_name": agent.display_name if agent else "",
    }
    order = (
        Order.objects.filter(workspace_id=conversation.workspace_id, customer_id=conversation.customer_id)
        .order_by("-ordered_at", "-pk")
        .first()
    )
    if order is not None:
        values["order_number"] = order.number
        values["tracking_url"] = tracking_url(order.carrier, order.tracking_number)
    return values


# carrier names as shops write them -> tracker.delivery's carrier ids (an open Korean tracking page)
CARRIERS = {
    "cj": "kr.cjlogistics",
    "cj대한통운": "kr.cjlogistics",
    "대한통운": "kr.cjlogistics",
    "hanjin": "kr.hanjin",
    "한진택배": "kr.hanjin",
    "lotte": "kr.lotte",
    "롯데택배": "kr.lotte",
    "epost": "kr.epost",
    "우체국택배": "kr.epost",
    "logen": "kr.logen",
    "로젠택배": "kr.logen",
}


def tracking_url(carrier: str, number: str) -> str:
    carrier_id = CARRIERS.get(carrier.replace(" ", "").casefold())
    if not number or carrier_id is None:
        return ""
    return f"https://tracker.delivery/#/{carrier_id}/{number}"


def render_for_conversation(text: str, conversation, *, agent=None) -> Rendered:
    if not _PATTERN.search(text):
        return Rendered(text, [])
    return render(text, conversation_values(conversation, agent=agent))
