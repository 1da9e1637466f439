"""The demo shop's first-line bot: a bot-enabled web chat inbox answering from the project's sample help
center (knowledge/data/sample_kb.jsonl, Korean), with one conversation the bot answered by itself and one
it handed to a person (with its summary note). Played through the real pipeline, like the story."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sonnim.conversations.choices import DeliveryStatus, Direction
from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.pipeline import receive_message
from sonnim.conversations.services import record_delivery
from sonnim.core.actors import SYSTEM
from sonnim.core.models import Workspace
from sonnim.inboxes.adapters.base import InboundMessage, SenderIdentity
from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import create_inbox, update_inbox
from sonnim.knowledge.services import import_articles
from sonnim.webchat.services import ensure_widget

from .story import Backdate

SAMPLE_KB = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "sample_kb.jsonl"
BOT_INBOX_NAME = "웹 채팅 (챗봇)"


@dataclass(frozen=True)
class BotChat:
    visitor: str
    text: str
    minutes_ago: int


# The first is answered from the help center ("배송은 얼마나 걸리나요?"); the second, angry and asking for a
# person, is handed to an agent with the bot's summary note.
BOT_CHATS = [
    BotChat("bot-visitor-1", "배송은 보통 며칠 걸리나요?", 95),
    BotChat("bot-visitor-2", "받은 머그컵이 깨져서 왔어요. 정말 어이가 없네요. 상담원 연결해 주세요", 40),
]


def seed_bot(
    workspace: Workspace, backdate: Backdate, *, now: datetime, widget_settings: dict | None = None
) -> Inbox:
    """Import the sample help center, create the bot-enabled inbox (with the chat widget the sample shop page
    embeds, drawn with `widget_settings`) and play BOT_CHATS through it."""
    import_articles(workspace, SAMPLE_KB.read_text(encoding="utf-8"), actor=SYSTEM)
    inbox = create_inbox(workspace, kind="webchat", name=BOT_INBOX_NAME).inbox
    inbox = update_inbox(inbox, actor=SYSTEM, is_bot_enabled=True, settings=widget_settings or {})
    ensure_widget(inbox)
    for n, chat in enumerate(BOT_CHATS):
        at = now - timedelta(minutes=chat.minutes_ago)
        received = receive_message(
            InboundMessage(
                inbox_id=inbox.pk,
                external_id=f"demo-bot-{n}",
                sender=SenderIdentity(external_id=chat.visitor, name=""),
                text=chat.text,
                thread_key=f"demo-bot-{n}",
                sent_at=at,
            )
        )
        conversation = received.message.conversation
        # History: the visitor's chat session is long gone, so the bot's replies count as delivered then.
        for reply in Message.objects.filter(conversation=conversation, direction=Direction.OUT).exclude(
            delivery_status=DeliveryStatus.SENT
        ):
            record_delivery(reply, status=DeliveryStatus.SENT, actor=SYSTEM)
        backdate.stamp(at)
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=at, last_message_at=at, updated_at=at
        )
    return inbox
