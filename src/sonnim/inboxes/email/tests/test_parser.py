"""Tests for the e-mail parser.

The corpus folder holds hand-written .eml files (invented people and shops) plus a
NAME.expected.json per message with the subset of `ParsedEmail.to_dict()` fields that
matter for that case. An optional "_options" key passes keyword arguments to parse_email.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sonnim.inboxes.email import attachment_payloads, content_hash, parse_email
from sonnim.inboxes.email.charsets import decode_bytes, decode_encoded_words
from sonnim.inboxes.email.quotes import split_reply

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(path.stem for path in CORPUS.glob("*.eml"))
CONTRACT_KEYS = [
    "subject", "from", "to", "cc", "reply_to", "date", "message_id", "in_reply_to", "references", "text",
    "html", "reply_text", "quoted_text", "signature", "attachments", "is_auto_reply", "is_bounce", "language",
    "problems", "bounce",
]  # fmt: skip


def _raw(name: str) -> bytes:
    return (CORPUS / f"{name}.eml").read_bytes()


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert all((CORPUS / f"{name}.expected.json").exists() for name in CASES)


@pytest.mark.parametrize("name", CASES)
def test_corpus(name: str) -> None:
    expected = json.loads((CORPUS / f"{name}.expected.json").read_text(encoding="utf-8"))
    options = expected.pop("_options", {})
    result = parse_email(_raw(name), **options).to_dict()
    assert expected, "an expected file must check something"
    assert {key: result[key] for key in expected} == expected


def test_to_dict_has_exactly_the_contract_keys() -> None:
    result = parse_email(_raw("gmail_ko_reply")).to_dict()
    assert list(result) == CONTRACT_KEYS
    json.dumps(result)  # must be JSON-serialisable as is


def test_empty_input() -> None:
    result = parse_email(b"")
    assert result.to_dict()["from"] is None
    assert result.text == ""
    assert result.problems == ["no_headers", "missing_from", "missing_date", "missing_message_id"]


def test_default_limit_truncates_with_note() -> None:
    body = ("a" * 99 + "\n") * 2100  # 210,000 characters
    raw = b"From: a@b.kr\nContent-Type: text/plain\n\n" + body.encode()
    result = parse_email(raw)
    assert "body_truncated" in result.problems
    assert result.text.endswith(
        "[본문이 너무 길어 200000자 이후를 생략했습니다 / body truncated after 200000 characters]"
    )
    assert len(result.text) == 200_000 + len(
        "\n\n[본문이 너무 길어 200000자 이후를 생략했습니다 / body truncated after 200000 characters]"
    )


def test_html_is_truncated_too() -> None:
    raw = b"From: a@b.kr\nContent-Type: text/html\n\n<p>" + b"x" * 500 + b"</p>"
    result = parse_email(raw, max_body_chars=100)
    assert result.html == "<p>" + "x" * 97 + "</p>"
    assert result.problems.count("body_truncated") == 1


def test_attachment_payloads_match_attachment_list() -> None:
    raw = _raw("nested_mixed_alternative_related")
    payloads = attachment_payloads(raw)
    listed = parse_email(raw).attachments
    assert [(p.filename, p.content_type, p.content_id, p.inline, len(p.data)) for p in payloads] == [
        (a.filename, a.content_type, a.content_id, a.inline, a.size) for a in listed
    ]
    assert payloads[1].data == b"%PDF-1.4\n%%EOF\n"
    assert payloads[0].data.startswith(b"\x89PNG")


def test_forwarded_rfc822_payload_is_the_original_message() -> None:
    payload = attachment_payloads(_raw("forward_as_attachment"))[0]
    inner = parse_email(payload.data)
    assert inner.message_id == "courier-1@delivery.example"
    assert inner.subject == "배송지 확인 요청"
    assert inner.text == "Inner body must not be merged into the outer text."


def test_attachment_payloads_never_raise() -> None:
    assert attachment_payloads(b"\x00\xff" * 10) == []


def test_content_hash_ignores_transport_differences() -> None:
    raw = _raw("missing_charset_utf8")
    redelivered = b"Received: from relay.example by mx.example; Tue, 3 Nov 2026\r\n" + raw.replace(
        b"\n", b"\r\n"
    )
    assert content_hash(raw) == content_hash(redelivered)
    assert len(content_hash(raw)) == 64
    assert content_hash(raw) != content_hash(raw.replace(b"order", b"Order"))


def test_content_hash_of_garbage_is_stable() -> None:
    assert content_hash(b"\x00garbage") == content_hash(b"\x00garbage")
    assert content_hash(b"\x00garbage") != content_hash(b"\x00other")


def test_encoded_word_whitespace_between_words_is_dropped_but_kept_before_text() -> None:
    problems: list[str] = []
    value = "=?utf-8?Q?a?= =?utf-8?Q?b?= plain =?utf-8?B?7ZmN?="
    assert decode_encoded_words(value, problems) == "ab plain 홍"
    assert problems == []


@pytest.mark.parametrize(
    ("value", "decoded", "problems"),
    [
        ("=?utf-8?B?QQ?=", "A", []),  # missing padding is tolerated silently
        ("=?utf-8?B?Q?=", "=?utf-8?B?Q?=", ["bad_encoded_word"]),  # impossible base64 stays as written
        ("=?utf-8?B?7Zm?=", "\ufffd", ["bad_encoded_word"]),  # word cut mid-character
        ("=?utf-8?B?7ZmN", "홍", ["bad_encoded_word"]),  # unterminated
        ("=?utf-8?Q?caf=C3=A9_ok?=", "café ok", []),
        ("=?utf-8*ko?B?7ZmN?=", "홍", []),  # RFC 2231 language suffix
    ],
)
def test_encoded_word_edge_cases(value: str, decoded: str, problems: list[str]) -> None:
    found: list[str] = []
    assert decode_encoded_words(value, found) == decoded
    assert found == problems


def test_euc_kr_label_accepts_cp949_extensions() -> None:
    decoded = decode_bytes("똠햏".encode("cp949"), "EUC-KR")
    assert (decoded.text, decoded.problems) == ("똠햏", [])


def test_outlook_block_in_forward_subject_is_kept() -> None:
    body = (
        "참고하세요\n\nFrom: 택배사 <info@courier.example>\nSent: 2026-11-03\nTo: me\n"
        "Subject: 배송지 확인\n\n주소 확인 요망"
    )
    forwarded = split_reply(body, subject="FW: 배송지 확인")
    assert forwarded.reply == body
    assert forwarded.quoted == ""
    replied = split_reply(body, subject="RE: 배송지 확인")
    assert (replied.reply, replied.quoted.splitlines()[0]) == (
        "참고하세요",
        "From: 택배사 <info@courier.example>",
    )


def test_apple_forward_keeps_content_and_strips_signature() -> None:
    body = (
        "확인 부탁드려요\n\nSent from my iPhone\n\nBegin forwarded message:\n\n> From: shop\n> Subject: 주문"
    )
    parts = split_reply(body)
    assert parts.reply == "확인 부탁드려요\n\nBegin forwarded message:\n\n> From: shop\n> Subject: 주문"
    assert parts.signature == "Sent from my iPhone"
    assert parts.quoted == ""


def test_reply_above_a_forward_quotes_the_whole_history() -> None:
    body = (
        "네\n\nOn Mon, Nov 2, 2026 at 1:00 PM Shop <cs@sample-shop.kr> wrote:\n"
        "> ---------- Forwarded message ---------\n> x"
    )
    parts = split_reply(body)
    assert parts.reply == "네"
    assert parts.quoted.startswith("On Mon, Nov 2, 2026")


def test_customer_text_starting_with_on_is_not_a_quote_header() -> None:
    body = "On Monday I ordered two shirts.\nOnly one arrived, please check."
    assert split_reply(body).reply == body


def test_mobile_signature_in_the_middle_is_not_a_signature() -> None:
    body = "iPhone에서 보냄 이라는 문구가 메일에 자꾸 붙어요\n어떻게 끄나요?"
    parts = split_reply(body)
    assert (parts.reply, parts.signature) == (body, "")


def test_galaxy_english_signature() -> None:
    parts = split_reply("OK thanks\n\nSent from my Galaxy")
    assert (parts.reply, parts.signature) == ("OK thanks", "Sent from my Galaxy")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Out of Office: shipping", True),
        ("Auto: Re: order", True),
        ("Autoreply: thanks", True),
        ("[부재중] 11/10 복귀", True),
        ("부재중 안내", True),
        ("자동 회신: 문의", True),
        ("부재중이라 택배를 못 받았어요", False),
        ("자동차 용품 문의", False),
        ("Re: office chair order", False),
    ],
)
def test_auto_reply_subjects(subject: str, expected: bool) -> None:
    raw = f"From: x@y.kr\nSubject: {subject}\nContent-Type: text/plain; charset=utf-8\n\nbody".encode()
    assert parse_email(raw).is_auto_reply is expected


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-generated",
        "Precedence: junk",
        "Precedence: list",
        "List-Id: <news.sample-shop.kr>",
    ],
)
def test_auto_reply_headers(header: str) -> None:
    raw = f"From: x@y.kr\nSubject: hello\n{header}\n\nbody".encode()
    assert parse_email(raw).is_auto_reply is True


def test_mailer_daemon_sender_alone_marks_a_bounce() -> None:
    raw = b"From: Mailer-Daemon@mx.example\nSubject: failure\n\n<lost@x.example>: 550 5.1.1 no such user\n"
    result = parse_email(raw)
    assert (result.is_bounce, result.is_auto_reply) == (True, True)
    assert result.to_dict()["bounce"] == {
        "status": "5.1.1",
        "diagnostic": "<lost@x.example>: 550 5.1.1 no such user",
        "original_message_id": None,
        "recipient": "lost@x.example",
    }


def test_language_detection() -> None:
    def language(text: str) -> str | None:
        raw = b"From: a@b.kr\nContent-Type: text/plain; charset=utf-8\n\n" + text.encode()
        return parse_email(raw).language

    assert language("주문번호 ORDER-20261103-ABCDEF 배송 언제 되나요") == "ko"
    assert language("When will order 123 ship?") == "en"
    assert language("注文した商品がまだ届きません") == "ja"
    assert language("12345 !!!") is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    result = parse_email(raw)
    assert "parse_error" not in result.problems
    json.dumps(result.to_dict())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CASES), st.randoms(use_true_random=False), st.integers(1, 20))
def test_never_raises_on_mutated_corpus(name: str, rng: random.Random, mutations: int) -> None:
    data = bytearray(_raw(name))
    for _ in range(mutations):
        if not data:
            break
        position = rng.randrange(len(data))
        action = rng.randrange(4)
        if action == 0:
            data[position] = rng.randrange(256)
        elif action == 1:
            del data[position : position + rng.randrange(1, 40)]
        elif action == 2:
            data[position:position] = rng.choice(
                [b"=?", b"?=", b"\r\n", b"--", b"\xed\x99", b"<", b"\n\n", b";"]
            )
        else:
            data[position:position] = data[rng.randrange(len(data)) :][: rng.randrange(1, 80)]
    result = parse_email(bytes(data))
    assert "parse_error" not in result.problems
    json.dumps(result.to_dict())
    attachment_payloads(bytes(data))
