"""Model instances from hand-written SELECTs, for the few reads made on every inbound request.

The ORM compiles a query anew each time it runs: on the 2-core machine a one-row lookup by a unique key
costs about 1 ms in the compiler and 0.03 ms in the database. Here a model's column list and Django's
value converters (JSON, booleans, datetimes per backend) are worked out once per process, so a lookup
costs its SQL round trip plus building the instance, exactly as the ORM would build it."""

from functools import cache

from django.db import connection
from django.db.models import Model


@cache
def _plan(model: type[Model], vendor: str) -> tuple[str, list[str], list[tuple[int, list, object]]]:
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    fields = model._meta.concrete_fields
    columns = ", ".join(f"{table}.{qn(f.column)}" for f in fields)
    converters = []
    for n, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if found:
            converters.append((n, found, col))
    return columns, [f.attname for f in fields], converters


def columns(model: type[Model]) -> str:
    """`"table"."column", ...` of every concrete field, in the order load() reads them."""
    return _plan(model, connection.vendor)[0]


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def load[M: Model](model: type[M], row) -> M:
    """The instance of one row's columns (as columns(model) lists them), converted as the ORM would."""
    _columns, names, converters = _plan(model, connection.vendor)
    values = list(row)
    for n, found, col in converters:
        for convert in found:
            values[n] = convert(values[n], col, connection)
    return model.from_db(connection.alias, names, values)


def load_with(model: type[Model], row, *related: tuple[str, type[Model]]):
    """load() of a row that continues with the columns of related models (a JOIN), each set as the
    instance's cached foreign key, as select_related() would: load_with(Inbox, row, ("workspace",
    Workspace))."""
    start = width(model)
    instance = load(model, row[:start])
    for name, related_model in related:
        end = start + width(related_model)
        model._meta.get_field(name).set_cached_value(instance, load(related_model, row[start:end]))
        start = end
    return instance
