"""A real SMTP server on localhost (aiosmtpd) that records what it receives and fails on demand, plus helpers
to build raw customer mail for tests and benchmarks."""

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from sonnim.testing.server import free_port


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)


@dataclass
class RecordingSmtpHandler:
    """Answers DATA with `fail_with` (e.g. "451 4.3.0 Try again later") for the first `fail_first` mails."""

    received: list[ReceivedMail] = field(default_factory=list)
    fail_first: int = 0
    fail_with: str = "451 4.3.0 Try again later"
    attempts: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.attempts <= self.fail_first:
            return self.fail_with
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingSmtpHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def fail(self, count: int, reply: str) -> None:
        self.handler.fail_first, self.handler.fail_with, self.handler.attempts = count, reply, 0

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


def raw_mail(
    *,
    sender: str = "김민지 <minji@example.kr>",
    to: str = "help@sample.kr",
    subject: str = "배송 문의",
    body: str = "주문한 상품이 아직 안 왔어요.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    """A plain customer mail as bytes (UTF-8). Message-ID without angle brackets."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = "Tue, 03 Nov 2026 14:10:00 +0900"
    if message_id:
        mail["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        mail["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    if html:
        mail.add_alternative(html, subtype="html")
    return mail.as_bytes()
