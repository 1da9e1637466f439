"""`sonnim import orders FILE` run as operators run it: a subprocess on the test database."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sonnim.core.actors import SYSTEM
from sonnim.customers.models import Customer
from sonnim.customers.services import create_customer
from sonnim.testing.server import subprocess_env

from ..models import Order, OrderItem, Product

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "order_number,ordered_at,status,customer_name,customer_email,customer_phone,member_id,sku,product_name,quantity,unit_price_krw"
ROWS = [
    # line 2-3: one order, two items, matched by member id
    "A-100,2026-03-01T10:00:00,paid,김민지,,,M-1,TS-01,오버핏 티셔츠,2,19900",
    "A-100,2026-03-01T10:00:00,paid,김민지,,,M-1,SK-02,양말 3종,1,8900",
    # line 4: matched by email (case and spaces do not matter)
    "A-101,2026-03-02T09:30:00+09:00,shipped,이서연, Seoyeon@Example.kr ,,,TS-01,오버핏 티셔츠,1,19900",
    # line 5-7: matched by phone in another format; three items
    "A-102,2026-03-03 14:00,delivered,박지훈,,+82 10-5555-0001,,CP-03,캡 모자,1,25000",
    "A-102,2026-03-03 14:00,delivered,박지훈,,+82 10-5555-0001,,SK-02,양말 3종,3,8900",
    "A-102,2026-03-03 14:00,delivered,박지훈,,+82 10-5555-0001,,BG-04,에코백,1,0",
    # line 8: a new customer
    "A-103,2026-03-04T20:00:00,paid,최유나,yuna@example.kr,010-7777-8888,M-9,BG-04,에코백,1,12000",
    # line 9-11: bad rows, reported and not imported
    "A-104,2026-03-05T10:00:00,paid,정하늘,,,,TS-01,오버핏 티셔츠,two,19900",
    "A-105,not-a-date,paid,정하늘,,,,TS-01,오버핏 티셔츠,1,19900",
    "A-106,2026-03-05T10:00:00,lost,정하늘,,,,TS-01,오버핏 티셔츠,1,19900",
    # line 12: a guest order with no member id, email or phone
    "A-107,2026-03-06T11:00:00,paid,비회원,,,,CP-03,캡 모자,2,25000",
]


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run_import(path: Path, workspace) -> tuple[int, dict]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sonnim.cli",
            "import",
            "orders",
            str(path),
            "--workspace",
            workspace.slug,
            "--json",
        ],
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1, 2), done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def state(workspace) -> list[tuple]:
    """Every imported order with its customer and items, without the ids an import may renumber."""
    orders = Order.objects.filter(workspace=workspace).order_by("number")
    return [
        (
            o.number,
            o.customer_id,
            o.status,
            o.total_krw,
            o.ordered_at,
            sorted(OrderItem.objects.filter(order=o).values_list("name", "quantity", "unit_price_krw")),
        )
        for o in orders
    ]


@pytest.fixture
def known(workspace) -> dict[str, int]:
    return {
        "member": create_customer(workspace, name="김민지", member_id="M-1", actor=SYSTEM).pk,
        "email": create_customer(workspace, name="이서연", email="seoyeon@example.kr", actor=SYSTEM).pk,
        "phone": create_customer(workspace, name="박지훈", phone="010-5555-0001", actor=SYSTEM).pk,
    }


def test_import_orders_matches_customers_and_is_repeatable(workspace, known, tmp_path, api, agent):
    path = write_csv(tmp_path / "orders.csv", ROWS)
    code, result = run_import(path, workspace)
    assert code == 1  # some rows were refused
    assert (
        result["orders_created"],
        result["orders_updated"],
        result["items"],
        result["customers_created"],
    ) == (
        5,
        0,
        8,
        2,
    )
    assert result["errors"] == [
        {"line": 9, "problem": "quantity and unit_price_krw must be whole numbers"},
        {"line": 10, "problem": "ordered_at is not an ISO date/time"},
        {"line": 11, "problem": "unknown status lost"},
    ]
    orders = {o.number: o for o in Order.objects.filter(workspace=workspace)}
    assert sorted(orders) == ["A-100", "A-101", "A-102", "A-103", "A-107"]
    assert {n: o.total_krw for n, o in orders.items()} == {
        "A-100": 2 * 19900 + 8900,
        "A-101": 19900,
        "A-102": 25000 + 3 * 8900,
        "A-103": 12000,
        "A-107": 50000,
    }
    assert orders["A-100"].customer_id == known["member"]
    assert orders["A-101"].customer_id == known["email"]
    assert orders["A-102"].customer_id == known["phone"]
    new = Customer.objects.get(pk=orders["A-103"].customer_id)
    assert (new.display_name, new.email, new.phone, new.member_id) == (
        "최유나",
        "yuna@example.kr",
        "010-7777-8888",
        "M-9",
    )
    assert (
        orders["A-100"].ordered_at.isoformat() == "2026-03-01T01:00:00+00:00"
    )  # naive times are the shop's (KST)
    assert orders["A-101"].ordered_at.isoformat() == "2026-03-02T00:30:00+00:00"
    assert Product.objects.filter(workspace=workspace).count() == 4

    view = api(agent).get(f"/api/v1/customers/{known['phone']}").json()
    [order] = view["orders"]
    assert (order["number"], order["status"], order["total_krw"]) == ("A-102", "delivered", 51700)
    assert order["items"] == [
        {"name": "캡 모자", "option": "", "quantity": 1, "unit_price_krw": 25000},
        {"name": "양말 3종", "option": "", "quantity": 3, "unit_price_krw": 8900},
        {"name": "에코백", "option": "", "quantity": 1, "unit_price_krw": 0},
    ]

    before = (state(workspace), Customer.objects.count(), Product.objects.count())
    code, again = run_import(path, workspace)
    assert (again["orders_created"], again["orders_updated"], again["customers_created"]) == (0, 5, 0)
    assert (state(workspace), Customer.objects.count(), Product.objects.count()) == before


def test_missing_columns_is_an_error_with_a_code(workspace, tmp_path):
    path = write_csv(tmp_path / "short.csv", ["A-1,2026-03-01,paid"], header="order_number,ordered_at,status")
    code, result = run_import(path, workspace)
    assert code == 2
    assert result["code"] == "bad_orders_csv"
    assert result["details"] == {"missing": ["product_name", "quantity", "sku", "unit_price_krw"]}
    assert not Order.objects.exists()
