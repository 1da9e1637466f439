"""A small IMAP client for the email inbox poller (imaplib underneath): select a folder, list UIDs above a
mark, fetch one raw mail without setting \\Seen, mark it processed. No ORM; inboxes.tasks keeps the state."""

import base64
import imaplib
import re
import ssl
from types import TracebackType

from .email import ImapSettings


class MailboxError(Exception):
    """The IMAP server refused or dropped us. The message is short and safe to log (no password, no mail)."""


def mailbox_name(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3), so Korean folder names work ("받은편지함")."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(name: str) -> str:
    name = mailbox_name(name)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data: list, what: str) -> list:
    if typ != "OK":
        detail = data[0].decode("utf-8", "replace")[:120] if data and isinstance(data[0], bytes) else ""
        raise MailboxError(f"IMAP {what} failed: {typ} {detail}".strip())
    return data


class ImapMailbox:
    """Use as a context manager: connects, logs in and selects the folder; `uidvalidity` is then known."""

    def __init__(self, settings: ImapSettings, password: str, *, timeout: float = 30) -> None:
        self.settings = settings
        self.password = password
        self.timeout = timeout
        self.uidvalidity = 0
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> "ImapMailbox":
        s = self.settings
        try:
            if s.security == "ssl":
                self.conn = imaplib.IMAP4_SSL(
                    s.host, s.port, ssl_context=ssl.create_default_context(), timeout=self.timeout
                )
            else:
                self.conn = imaplib.IMAP4(s.host, s.port, timeout=self.timeout)
                if s.security == "starttls":
                    self.conn.starttls(ssl_context=ssl.create_default_context())
            _check(*self.conn.login(s.user, self.password), "LOGIN")
            _check(*self.conn.select(_quoted(s.folder)), "SELECT")
            _typ, data = self.conn.response("UIDVALIDITY")
            self.uidvalidity = int(data[0]) if data and data[0] else 0
        except (imaplib.IMAP4.error, OSError) as exc:
            self.close()
            raise MailboxError(f"IMAP connection failed: {type(exc).__name__}") from exc
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass  # the server went away first; nothing left to release
            self.conn = None

    def uids_after(self, last_uid: int) -> list[int]:
        # "n:*" also matches the highest UID when it is below n (RFC 3501), hence the filter.
        data = self._call("SEARCH", "UID", f"{last_uid + 1}:*")
        return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > last_uid)

    def fetch(self, uid: int) -> bytes | None:
        """The raw mail, or None when it vanished (expunged by another client) since the search."""
        for item in self._call("FETCH", str(uid), "(BODY.PEEK[])"):
            if isinstance(item, tuple) and re.search(rb"\bUID\s+%d\b" % uid, item[0]):
                return item[1]
        return None

    def mark_processed(self, uid: int) -> None:
        """Move to the processed folder when one is set (copy, flag deleted, expunge), else flag \\Seen."""
        if self.settings.processed_folder:
            self._call("COPY", str(uid), _quoted(self.settings.processed_folder))
            self._call("STORE", str(uid), "+FLAGS", "(\\Deleted)")
            _check(*self.conn.expunge(), "EXPUNGE")
        else:
            self._call("STORE", str(uid), "+FLAGS", "(\\Seen)")

    def _call(self, command: str, *args: str) -> list:
        try:
            return _check(*self.conn.uid(command, *args), f"UID {command}")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"IMAP UID {command} failed: {type(exc).__name__}") from exc
