"""Writes of the assist app: triage results onto messages and conversations, a workspace's retrained model."""

import json
import logging
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from sonnim.conversations.locks import lock_conversation
from sonnim.conversations.models import Conversation, Message
from sonnim.core.bulk import update_rows
from sonnim.core.models import Event, Workspace

from .model import Example, forget_cached, read_jsonl, train
from .triage import URGENCY_RANK, Triage, workspace_model_dir

logger = logging.getLogger("sonnim.assist")

DEFAULT_CATEGORY_DATA = Path(__file__).parent / "data" / "category_train.jsonl"
CORRECTION_WEIGHT = 3  # a shop's own corrections count more than the project's synthetic rows
CORRECTION_EVENT = "conversation.category_changed"
TRAINING_RECORD = "training.json"  # beside model.json: the last correction seq a retraining saw


MESSAGE_TRIAGE_FIELDS = ["category", "urgency", "sentiment", "sentiment_score"]


def fold_triage(message: Message, conversation: Conversation, triage: Triage) -> list[str]:
    """Set the triage on the message and fold it into the conversation: the category is set once (an
    agent's correction stays), urgency only rises, sentiment follows the latest message. Saves nothing;
    returns the conversation's changed fields."""
    message.category, message.urgency = triage.category, triage.urgency
    message.sentiment, message.sentiment_score = triage.sentiment, triage.sentiment_score
    fields = []
    if not conversation.category:
        conversation.category, fields = triage.category, [*fields, "category"]
    if URGENCY_RANK.get(triage.urgency, 0) > URGENCY_RANK.get(conversation.urgency, -1):
        conversation.urgency, fields = triage.urgency, [*fields, "urgency"]
    if conversation.sentiment != triage.sentiment:
        conversation.sentiment, fields = triage.sentiment, [*fields, "sentiment"]
    return fields


@transaction.atomic(savepoint=False)  # all or nothing with the caller's transaction: no savepoint needed
def apply_triage(message: Message, triage: Triage, *, locked: bool = False) -> Message:
    """Store the triage on the message and its conversation (fold_triage). No event: the message.received
    event already announced the message, and agents read these fields with it.
    `locked`: message.conversation is already the row read under its lock in this transaction (the
    pipeline's), so it is not read again."""
    conversation = message.conversation if locked else lock_conversation(message.conversation)
    fields = fold_triage(message, conversation, triage)
    message.save(update_fields=MESSAGE_TRIAGE_FIELDS)
    if fields:
        conversation.save(update_fields=fields)
    message.conversation = conversation
    return message


def apply_triages(triaged: list[tuple[Message, Triage]]) -> None:
    """apply_triage() for many messages whose conversations the caller holds locked (the pipeline's batch),
    in one UPDATE for the messages and one for the conversations. Messages of one conversation share its
    object: the folds add up as they would one by one."""
    if not triaged:
        return
    conversations: dict[int, Conversation] = {}
    fields: set[str] = set()
    for message, triage in triaged:
        changed = fold_triage(message, message.conversation, triage)
        if changed:
            conversations[message.conversation.pk] = message.conversation
            fields.update(changed)
    update_rows([message for message, _ in triaged], MESSAGE_TRIAGE_FIELDS)
    update_rows(list(conversations.values()), sorted(fields))


def corrected_examples(workspace: Workspace) -> list[Example]:
    """One example per conversation whose category an agent changed: the customer's first message,
    labelled with the conversation's current category (the last correction wins)."""
    conversation_ids = set(
        Event.objects.for_workspace(workspace)
        .filter(type=CORRECTION_EVENT, actor_kind="agent")
        .values_list("conversation_id", flat=True)
    )
    conversations = Conversation.objects.for_workspace(workspace).filter(pk__in=conversation_ids)
    labels = dict(conversations.exclude(category="").values_list("pk", "category"))
    first_texts: dict[int, str] = {}
    for conversation_id, text in (
        Message.objects.for_workspace(workspace)
        .filter(conversation_id__in=labels, direction="in")
        .exclude(text="")
        .order_by("conversation_id", "created_at", "pk")
        .values_list("conversation_id", "text")
    ):
        first_texts.setdefault(conversation_id, text)
    return [Example(text=first_texts[c], label=labels[c]) for c in sorted(first_texts)]


def last_correction_seq(workspace: Workspace) -> int:
    """The event seq of the workspace's latest category correction by an agent (0: none). One query."""
    return (
        Event.objects.for_workspace(workspace)
        .filter(type=CORRECTION_EVENT, actor_kind="agent")
        .aggregate(last=Max("seq"))["last"]
        or 0
    )


def training_record(workspace_id: int) -> dict:
    """What the last retraining saw: {"last_correction_seq", "trained_at", "corrections"} ({} if never)."""
    path = workspace_model_dir(workspace_id) / TRAINING_RECORD
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_training_record(workspace_id: int, *, seq: int, corrections: int) -> None:
    out = workspace_model_dir(workspace_id)
    out.mkdir(parents=True, exist_ok=True)
    now = timezone.now().isoformat()
    record = {"last_correction_seq": seq, "trained_at": now, "corrections": corrections}
    tmp = out / f"{TRAINING_RECORD}.tmp"
    tmp.write_text(json.dumps(record))
    tmp.replace(out / TRAINING_RECORD)


def retrain_category_model(workspace: Workspace, *, only_if_changed: bool = False) -> dict:
    """Train the workspace's category model from the shipped data plus its agents' corrections and store
    it where triage looks first. With no corrections nothing is written. `only_if_changed` (the periodic
    task): skip, after one query, when no correction came since the last training (training.json in the
    model directory keeps the last correction event's seq)."""
    out = workspace_model_dir(workspace.pk)
    seq = last_correction_seq(workspace)  # read before the examples: a later correction retrains next time
    if only_if_changed and seq <= training_record(workspace.pk).get("last_correction_seq", 0):
        return {"workspace": workspace.slug, "corrections": None, "trained": False, "out": str(out)}
    corrections = corrected_examples(workspace) if seq else []
    if not corrections:
        if seq:  # corrections that label nothing (e.g. a category cleared): remember them, do not retry
            _write_training_record(workspace.pk, seq=seq, corrections=0)
        return {"workspace": workspace.slug, "corrections": 0, "trained": False, "out": str(out)}
    examples = read_jsonl(DEFAULT_CATEGORY_DATA) + corrections * CORRECTION_WEIGHT
    model = train(examples, task="category")
    model.save(out)
    forget_cached(out)
    _write_training_record(workspace.pk, seq=seq, corrections=len(corrections))
    logger.info("retrained category model workspace=%s corrections=%s", workspace.pk, len(corrections))
    return {
        "workspace": workspace.slug,
        "corrections": len(corrections),
        "trained": True,
        "labels": model.labels,
        "out": str(out),
    }
