"""Bulk writes Django's ORM makes slow. QuerySet.bulk_update() builds one CASE WHEN expression per row and
field, which costs milliseconds per row in Python. update_rows() sends one prepared UPDATE per row in a
single executemany() instead. bulk_create() compiles its INSERT anew each time, which costs more than the
database's work for the few rows an inbound message writes: insert_rows() reuses the SQL text."""

from collections.abc import Sequence
from functools import cache

from django.db import connection, models


def update_rows(rows: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Save `fields` of each row (all of one model): what row.save(update_fields=fields) writes, for many
    rows at once. No signals, like bulk_update()."""
    if not rows:
        return
    meta = type(rows[0])._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def insert_rows[M: models.Model](rows: Sequence[M]) -> list[M]:
    """Model.objects.bulk_create(rows) for the inbound path: the same multi-row INSERT ... RETURNING the
    primary keys, its SQL text built once per model and row count, the values prepared as Django prepares
    them (pre_save, so auto_now_add is set; get_db_prep_save). No signals, like bulk_create(). The rows
    must be new (no primary key yet) and all of one model."""
    if not rows:
        return []
    model = type(rows[0])
    fields = _insert_fields(model)
    per_statement = max(1, _MAX_PARAMS // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [_prepared(field, row) for row in chunk for field in fields]
            cursor.execute(_insert_sql(model, len(chunk)), params)
            for row, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                row.pk = pk
                row._state.adding = False
                row._state.db = connection.alias
    return list(rows)


def _prepared(field: models.Field, row: models.Model):
    return field.get_db_prep_save(field.pre_save(row, True), connection)


_MAX_PARAMS = 999  # the lowest limit of the SQLite builds Django supports; PostgreSQL allows far more


@cache
def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]


@cache
def _insert_sql_cached(model: type[models.Model], count: int, vendor: str) -> str:
    quote = connection.ops.quote_name
    fields = _insert_fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * count)} RETURNING {quote(model._meta.pk.column)}"
    )


def _insert_sql(model: type[models.Model], count: int) -> str:
    return _insert_sql_cached(model, count, connection.vendor)
