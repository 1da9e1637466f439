"""Email inbox fixtures: an inbox wired to local SMTP/IMAP servers, and posting raw mail to its hook."""

import pytest

from sonnim.inboxes.services import create_inbox
from sonnim.testing.fixtures import InboxWithKey
from sonnim.testing.mail import smtp_server  # noqa: F401 - re-exported as a fixture

SHOP_ADDRESS = "help@sample.kr"


def email_settings(*, smtp_port: int | None = None, imap_port: int | None = None, **imap_extra) -> dict:
    settings = {}
    if smtp_port:
        settings["smtp"] = {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "from_address": SHOP_ADDRESS,
            "from_name": "샘플샵 고객센터",
            "signature": "샘플샵 고객센터 드림\n02-123-4567",
        }
    if imap_port:
        settings["imap"] = {
            "host": "127.0.0.1",
            "port": imap_port,
            "security": "none",
            "user": "shop@sample.kr",
            **imap_extra,
        }
    return settings


@pytest.fixture
def make_email_inbox(workspace):
    def make(**kwargs) -> InboxWithKey:
        created = create_inbox(
            workspace,
            kind="email",
            name="고객센터 메일",
            settings=email_settings(**kwargs),
            credentials={"imap_password": "imap-secret", "smtp_password": ""},
        )
        return InboxWithKey(created.inbox, created.key)

    return make


@pytest.fixture
def email_inbox(make_email_inbox) -> InboxWithKey:
    """A forwarding-only email inbox (no SMTP, no IMAP)."""
    return make_email_inbox()


@pytest.fixture
def post_mail(client):
    """post_mail(inbox_with_key, raw) -> response of POST /hooks/email/<key> with the raw mail as body."""

    def post(target: InboxWithKey, raw: bytes):
        return client.post(f"/hooks/email/{target.key}", data=raw, content_type="message/rfc822")

    return post
