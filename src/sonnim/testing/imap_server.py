"""A small IMAP4rev1 server for tests: plain TCP on localhost, mail held in memory, one login.

Speaks what imaplib and the poller use: CAPABILITY, NOOP, LOGIN, SELECT/EXAMINE (UIDVALIDITY, UIDNEXT),
UID SEARCH (ALL, UNSEEN, UID <set>), UID FETCH (BODY.PEEK[], BODY[], RFC822, FLAGS, UID), UID STORE
+FLAGS/-FLAGS, UID COPY, EXPUNGE, CLOSE, LOGOUT. Test hooks: `fetch_delay` slows every fetch (to kill a
poller mid-batch), `fetches` counts them, `renumber()` simulates a UIDVALIDITY change."""

import re
import socketserver
import threading
import time
from dataclasses import dataclass, field

CAPABILITIES = "IMAP4rev1 AUTH=PLAIN UIDPLUS"


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Folder:
    uidvalidity: int
    uidnext: int = 1
    mails: list[StoredMail] = field(default_factory=list)

    def add(self, raw: bytes, flags: set[str] | None = None) -> int:
        uid, self.uidnext = self.uidnext, self.uidnext + 1
        self.mails.append(StoredMail(uid, raw, set(flags or ())))
        return uid


_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\((?:[^()]|\([^()]*\))*\))|(\S+)')


def _tokens(text: str) -> list[str]:
    out = []
    for match in _TOKEN.finditer(text):
        quoted, group, atom = match.groups()
        out.append(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else group or atom)
    return out


def _uid_set(spec: str, highest: int) -> set[int]:
    uids: set[int] = set()
    for part in spec.split(","):
        lo, _sep, hi = part.partition(":")
        a = highest if lo == "*" else int(lo)
        b = a if not hi else (highest if hi == "*" else int(hi))
        uids.update(range(min(a, b), max(a, b) + 1))
    return uids


class ImapServer:
    """Start with `with ImapServer(user, password) as server:`; then server.port, server.add(raw)."""

    def __init__(
        self,
        user: str = "shop@sample.kr",
        password: str = "imap-secret",  # noqa: S107 - a test server
        *,
        uidvalidity: int = 1000,
    ):
        self.user, self.password = user, password
        self.lock = threading.RLock()
        self.folders: dict[str, Folder] = {"INBOX": Folder(uidvalidity)}
        self.fetch_delay = 0.0
        self.fetches = 0
        self.logins = 0
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                Session(server, self.rfile, self.wfile).run()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.tcp.daemon_threads = True
        self.port = self.tcp.server_address[1]
        self.thread = threading.Thread(target=self.tcp.serve_forever, name="test-imap", daemon=True)

    def __enter__(self) -> "ImapServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.tcp.shutdown()
        self.tcp.server_close()

    def add(self, raw: bytes, *, folder: str = "INBOX", flags: set[str] | None = None) -> int:
        with self.lock:
            return self.folders.setdefault(folder, Folder(1)).add(raw, flags)

    def mails(self, folder: str = "INBOX") -> list[StoredMail]:
        with self.lock:
            return list(self.folders.get(folder, Folder(1)).mails)

    def renumber(self, uidvalidity: int, folder: str = "INBOX") -> None:
        """What a server does after rebuilding its index: same mail, new UIDs, new UIDVALIDITY."""
        with self.lock:
            old = self.folders[folder]
            new = Folder(uidvalidity)
            for mail in old.mails:
                new.add(mail.raw, mail.flags)
            self.folders[folder] = new


class Session:
    def __init__(self, server: ImapServer, rfile, wfile) -> None:
        self.server, self.rfile, self.wfile = server, rfile, wfile
        self.authenticated = False
        self.selected: str | None = None
        self.readonly = False

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def run(self) -> None:
        self.send(f"* OK [CAPABILITY {CAPABILITIES}] Sonnim test IMAP ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            parts = line.decode("utf-8", "replace").rstrip("\r\n").split(" ", 2)
            if len(parts) < 2:
                self.send("* BAD no command")
                continue
            tag, command, rest = parts[0], parts[1].upper(), parts[2] if len(parts) > 2 else ""
            try:
                if self.dispatch(tag, command, rest) == "bye":
                    return
            except (ValueError, IndexError, KeyError):
                self.send(f"{tag} BAD could not parse {command}")
            self.wfile.flush()

    def dispatch(self, tag: str, command: str, rest: str) -> str | None:
        if command == "CAPABILITY":
            self.send(f"* CAPABILITY {CAPABILITIES}")
        elif command == "NOOP":
            pass
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return "bye"
        elif command == "LOGIN":
            user, password = _tokens(rest)[:2]
            if (user, password) != (self.server.user, self.server.password):
                return self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
            self.authenticated = True
            self.server.logins += 1
        elif not self.authenticated:
            return self.send(f"{tag} NO log in first")
        elif command in ("SELECT", "EXAMINE"):
            return self.select(tag, command, _tokens(rest)[0])
        elif self.selected is None:
            return self.send(f"{tag} NO select a folder first")
        elif command == "UID":
            sub, _sep, args = rest.partition(" ")
            return self.uid_command(tag, sub.upper(), args)
        elif command == "EXPUNGE":
            self.expunge()
        elif command == "CLOSE":
            self.selected = None
        else:
            return self.send(f"{tag} BAD unknown command {command}")
        self.send(f"{tag} OK {command} completed")
        return None

    def folder(self) -> Folder:
        return self.server.folders[self.selected]

    def select(self, tag: str, command: str, name: str) -> None:
        with self.server.lock:
            folder = self.server.folders.get(name)
            if folder is None:
                return self.send(f"{tag} NO no such folder")
            self.selected, self.readonly = name, command == "EXAMINE"
            self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
            self.send(f"* {len(folder.mails)} EXISTS")
            self.send("* 0 RECENT")
            self.send(f"* OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid")
            self.send(f"* OK [UIDNEXT {folder.uidnext}] predicted next UID")
        mode = "READ-ONLY" if self.readonly else "READ-WRITE"
        self.send(f"{tag} OK [{mode}] {command} completed")

    def matching(self, spec: str) -> list[tuple[int, StoredMail]]:
        mails = self.folder().mails
        wanted = _uid_set(spec, mails[-1].uid if mails else 0)
        return [(seq, m) for seq, m in enumerate(mails, start=1) if m.uid in wanted]

    def uid_command(self, tag: str, sub: str, args: str) -> None:
        with self.server.lock:
            if sub == "SEARCH":
                self.search(args)
            elif sub == "FETCH":
                spec, _sep, items = args.partition(" ")
                self.fetch(spec, items.upper())
            elif sub == "STORE":
                spec, mode, flags = _tokens(args)[:3]
                for seq, mail in self.matching(spec):
                    names = set(flags.strip("()").split())
                    mail.flags = mail.flags | names if mode.upper().startswith("+") else mail.flags - names
                    if ".SILENT" not in mode.upper():
                        self.send(f"* {seq} FETCH (UID {mail.uid} FLAGS ({' '.join(sorted(mail.flags))}))")
            elif sub == "COPY":
                spec, target = _tokens(args)[:2]
                for _seq, mail in self.matching(spec):
                    self.server.folders.setdefault(target, Folder(1)).add(
                        mail.raw, mail.flags - {"\\Deleted"}
                    )
            else:
                return self.send(f"{tag} BAD unknown UID command {sub}")
        self.send(f"{tag} OK UID {sub} completed")
        return None

    def search(self, args: str) -> None:
        words = args.upper().split()
        found = [m for _seq, m in self.matching("1:*")] if self.folder().mails else []
        if "UID" in words:
            found = [m for _seq, m in self.matching(args.split()[words.index("UID") + 1])]
        if "UNSEEN" in words:
            found = [m for m in found if "\\Seen" not in m.flags]
        self.send("* SEARCH" + "".join(f" {m.uid}" for m in found))

    def fetch(self, spec: str, items: str) -> None:
        for seq, mail in self.matching(spec):
            if self.server.fetch_delay:
                time.sleep(self.server.fetch_delay)
            self.server.fetches += 1
            parts = [f"UID {mail.uid}"]
            if "FLAGS" in items:
                parts.append(f"FLAGS ({' '.join(sorted(mail.flags))})")
            body_name = "RFC822" if "RFC822" in items else "BODY[]" if "BODY" in items else None
            if body_name is None:
                self.send(f"* {seq} FETCH ({' '.join(parts)})")
                continue
            if "PEEK" not in items and not self.readonly:
                mail.flags.add("\\Seen")
            head = f"* {seq} FETCH ({' '.join(parts)} {body_name} {{{len(mail.raw)}}}"
            self.wfile.write(head.encode() + b"\r\n" + mail.raw + b")\r\n")

    def expunge(self) -> None:
        with self.server.lock:
            folder = self.folder()
            for seq in range(len(folder.mails), 0, -1):
                if "\\Deleted" in folder.mails[seq - 1].flags:
                    del folder.mails[seq - 1]
                    self.send(f"* {seq} EXPUNGE")
