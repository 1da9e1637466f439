"""Korean full-text search over messages, subjects and customer names.

Text is tokenized once with kiwipiepy (core.korean) and stored in SearchEntry.tokens with a workspace
token in front. SQLite matches it with an FTS5 table keyed by the entry id; PostgreSQL with a stored
tsvector ('simple' config) and a GIN index. Both are made by migration 0002 for their vendor only.
Results come newest first (by entry id), which lets FTS5 stop early on common words."""

from dataclasses import dataclass

from django.db import connection

from sonnim.core.bulk import insert_rows
from sonnim.core.korean import search_tokens
from sonnim.core.models import Workspace

from .models import SearchEntry

FTS_TABLE = "conversations_search_fts"


def workspace_token(workspace_id: int) -> str:
    return f"ws{workspace_id}x"


def _delete(**filters) -> None:
    ids = list(SearchEntry.objects.filter(**filters).values_list("pk", flat=True))
    if not ids:
        return
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            placeholders = ",".join(["%s"] * len(ids))
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({placeholders})", ids)  # noqa: S608
    SearchEntry.objects.filter(pk__in=ids).delete()


def prepare_text(text: str) -> None:
    """Analyze a text that is about to be indexed (the analysis is remembered): see pipeline.prepare()."""
    search_tokens(text)


def index_message(message) -> None:
    """Index a message's text (and the conversation subject with its first message)."""
    index_messages([(message, message.conversation.message_count <= 1)])


def index_messages(messages: list[tuple]) -> None:
    """Index many messages in one insert per table: (message, is the conversation's first message)."""
    entries = []
    for message, first in messages:
        tokens = search_tokens(message.text)  # analyzed before the transaction (pipeline.prepare)
        if first and message.conversation.subject:  # the subject on its own: the text's analysis is reused
            tokens = search_tokens(message.conversation.subject) + tokens
        if tokens:
            entries.append(
                SearchEntry(
                    workspace_id=message.workspace_id,
                    tokens=" ".join([workspace_token(message.workspace_id), *tokens]),
                    conversation_id=message.conversation_id,
                    message_id=message.pk,
                    customer_id=message.conversation.customer_id,
                )
            )
    _insert(entries)


def _insert(entries: list[SearchEntry]) -> None:
    if not entries:
        return
    insert_rows(entries)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            sql = f"INSERT INTO {FTS_TABLE}(rowid, tokens) VALUES (%s, %s)"  # noqa: S608 - constant table
            cursor.executemany(sql, [(entry.pk, entry.tokens) for entry in entries])


def index_customer(customer) -> None:
    _delete(customer_id=customer.pk, message_id__isnull=True, conversation_id__isnull=True)
    index_new_customers([customer])


def index_new_customers(customers: list) -> None:
    """index_customer() for customers just created (they have no entry to replace), in one insert."""
    entries = []
    for customer in customers:
        if tokens := search_tokens(customer.display_name):
            workspace_id = customer.workspace_id
            tokens = " ".join([workspace_token(workspace_id), *tokens])
            entries.append(SearchEntry(workspace_id=workspace_id, tokens=tokens, customer_id=customer.pk))
    _insert(entries)


def reassign_customer(conversation_ids: list[int], customer_id: int) -> None:
    """Keep message entries pointing at the right customer after a merge or unmerge."""
    SearchEntry.objects.filter(conversation_id__in=conversation_ids).update(customer_id=customer_id)


@dataclass(frozen=True)
class Hit:
    entry_id: int
    conversation_id: int | None
    message_id: int | None
    customer_id: int | None


def query_tokens(query: str) -> list[str]:
    return list(dict.fromkeys(search_tokens(query)))  # unique, in order


def search(
    workspace: Workspace, query: str, *, limit: int = 50, before_entry_id: int | None = None
) -> list[Hit]:
    """Entries containing every token of the query, newest first."""
    tokens = query_tokens(query)
    if not tokens:
        return []
    terms = [workspace_token(workspace.pk), *tokens]
    before = before_entry_id or (1 << 62)
    if connection.vendor == "sqlite":
        match = " AND ".join(f'"{t}"' for t in terms)
        sql = (
            f"SELECT e.id, e.conversation_id, e.message_id, e.customer_id FROM {FTS_TABLE} f "  # noqa: S608
            "JOIN conversations_searchentry e ON e.id = f.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND f.rowid < %s ORDER BY f.rowid DESC LIMIT %s"
        )
        params = [match, before, limit]
    else:
        sql = (
            "SELECT id, conversation_id, message_id, customer_id FROM conversations_searchentry "
            "WHERE tsv @@ to_tsquery('simple', %s) AND workspace_id = %s AND id < %s "
            "ORDER BY id DESC LIMIT %s"
        )
        params = [" & ".join(terms), workspace.pk, before, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(*row) for row in cursor.fetchall()]


def conversation_ids_matching(workspace: Workspace, query: str, *, limit: int = 1000) -> list[int]:
    """Conversations whose messages, subject or customer name match (the newest `limit` entries)."""
    hits = search(workspace, query, limit=limit)
    conversation_ids = {h.conversation_id for h in hits if h.conversation_id}
    customer_only = {h.customer_id for h in hits if h.conversation_id is None and h.customer_id}
    if customer_only:
        from .models import Conversation

        conversation_ids.update(
            Conversation.objects.for_workspace(workspace)
            .filter(customer_id__in=customer_only)
            .values_list("pk", flat=True)[:limit]
        )
    return sorted(conversation_ids)
