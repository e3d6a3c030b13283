"""Inbound email: worker threads that import new mail from the configured IMAP mailboxes.

One thread per mailbox (``config_store.mailbox_names``: the first mailbox and any added with
``channel email add``), started and stopped by ``EmailWorker`` as the configuration changes.
Each logs in with imaplib, imports every message whose UID is above the last one imported, then
waits: with IMAP IDLE when the server lists it after login (new mail arrives within a second),
else by polling every ``poll_seconds``.  IDLE is renewed every ``poll_seconds`` too (capped to
RFC 2177's 29 minutes), which also catches a notification that raced the IDLE command.

Exactly-once, across restarts: the last imported UID of each mailbox is kept with its
UIDVALIDITY in the channel row (``settings["imap_state"]``) and advanced in the same
transaction that stores the message, and each message remembers where it was read
(``source_ref``: mailbox, UIDVALIDITY, UID).  When the server renumbers the mailbox (a new
UIDVALIDITY) the mailbox is read again and ``ingest`` keeps each mail once: the same
Message-ID with the same sender and content is the same mail, while another sender's mail
reusing a Message-ID is stored as a new message.  Mail is fetched with ``BODY.PEEK[]`` and
never moved, flagged or deleted: the mailbox stays the archive of the originals.

A mail that cannot be parsed is stored anyway (``parse_email`` never raises) with the parser's
warning in the message's ``failure_reason`` so the agent sees why it looks odd, and the mail as
received attached (``original-message.eml``) so they can open it; filing rules (bounces,
auto-replies, reply routes) are in ``email_filing``.  Attachment bytes go to the
server's attachment store.  A wrong
password or an unreachable server is logged in one line and retried with backoff; nothing here
can stop the server.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import select
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from csdesk.domain.enums import Realm
from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.email_filing import file_email, with_original
from csdesk.server.channels.email_parse import DEFAULT_MAX_ATTACHMENT_BYTES, parse_email
from csdesk.server.channels.inbound import InboundMessage
from csdesk.server.channels.vault import VaultError
from csdesk.server.state import ServerState
from csdesk.storage import models as m

log = logging.getLogger(__name__)

IMAP_TIMEOUT: Final = 30.0
FIRST_RETRY: Final = 2.0
MAX_RETRY: Final = 300.0
_MAX_IDLE: Final = 29 * 60.0
_TICK: Final = 0.5  # how often a waiting worker looks at the stop flag and the configuration
_SKIP_AFTER: Final = 3  # a mail that fails to store this many times is left in the mailbox
STATE_KEY: Final = "imap_state"
_FETCH_UID = re.compile(rb"UID (\d+)")


class ImapProblem(Exception):
    """The IMAP server said no (bad mailbox, unexpected answer); the text is for the log."""


def _security(cfg: ChannelSettings) -> str:
    return cfg.text("imap_security", "ssl").lower()


def mailbox_key(cfg: ChannelSettings) -> str:
    """Which mailbox the UID cursor belongs to: another server or login starts afresh."""
    return (
        f"{cfg.text('imap_user')}@{cfg.text('imap_host')}:{cfg.settings.get('imap_port') or ''}"
        f"/{cfg.text('mailbox', 'INBOX')}"
    )


def _fingerprint(cfg: ChannelSettings) -> tuple[Any, ...]:
    """The connection's identity; a change (``channel add email`` again) means reconnect."""
    settings = {k: v for k, v in cfg.settings.items() if k != STATE_KEY}
    return (tuple(sorted((k, repr(v)) for k, v in settings.items())), cfg.secret("imap_password"))


def connect(cfg: ChannelSettings) -> imaplib.IMAP4:
    """Connect and log in; raises imaplib.IMAP4.error or OSError."""
    host = cfg.text("imap_host")
    security = _security(cfg)
    port = int(cfg.settings.get("imap_port") or (993 if security == "ssl" else 143))
    context = ssl.create_default_context()
    imap: imaplib.IMAP4
    if security == "ssl":
        imap = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=IMAP_TIMEOUT)
    else:
        imap = imaplib.IMAP4(host, port, timeout=IMAP_TIMEOUT)
    try:
        if security == "starttls":
            imap.starttls(ssl_context=context)
        imap.login(cfg.text("imap_user"), cfg.secret("imap_password"))
    except BaseException:
        _close(imap)
        raise
    return imap


def _close(imap: imaplib.IMAP4) -> None:
    try:
        imap.logout()
    except Exception:  # already broken: nothing more to tell the server
        with contextlib.suppress(Exception):
            imap.shutdown()


def _ok(answer: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        text = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise ImapProblem(f"{what} failed: {text or status}")
    return data


def has_idle(imap: imaplib.IMAP4) -> bool:
    """Whether the server offers IDLE; asked after login (the greeting's list is pre-login)."""
    data = _ok(imap.capability(), "CAPABILITY")
    words = b" ".join(d for d in data if isinstance(d, bytes)).upper().split()
    return b"IDLE" in words


def _uidvalidity(imap: imaplib.IMAP4) -> int:
    _name, data = imap.response("UIDVALIDITY")
    for item in data or []:
        if isinstance(item, bytes) and item.strip().isdigit():
            return int(item.strip())
    raise ImapProblem("the server did not report UIDVALIDITY for the mailbox")


def new_uids(imap: imaplib.IMAP4, after: int) -> list[int]:
    # "N:*" always matches the highest UID, even below N: filter it out.
    data = _ok(imap.uid("SEARCH", f"UID {after + 1}:*"), "UID SEARCH")
    found = b" ".join(d for d in data if isinstance(d, bytes)).split()
    return sorted(u for u in (int(x) for x in found if x.isdigit()) if u > after)


def fetch(imap: imaplib.IMAP4, uid: int) -> bytes | None:
    """The full message with ``uid`` (None: it was expunged meanwhile), without marking it seen."""
    data = _ok(imap.uid("FETCH", str(uid), "(UID BODY.PEEK[])"), "UID FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            match = _FETCH_UID.search(item[0])
            if match is None or int(match.group(1)) == uid:
                return item[1]
    return None


def news_pending(imap: imaplib.IMAP4) -> bool:
    """Whether the server announced new mail since the last :func:`new_uids` (and forget it).

    The server says "* N EXISTS" once, in the answer to whatever command is running when the
    mail arrives (often the FETCH of the mail before it); imaplib keeps such lines aside. A
    worker that went into IDLE without looking would not hear of that mail until IDLE renews.
    """
    found = False
    for name in ("EXISTS", "RECENT"):
        if imap.untagged_responses.pop(name, None) is not None:
            found = True
    return found


def idle_for_news(imap: imaplib.IMAP4, renew: float, stop: Callable[[], bool]) -> bool:
    """RFC 2177 IDLE until the server announces mail, ``renew`` passes or ``stop()``.

    Returns True when stopped. Mail announced before the IDLE began returns at once.
    """
    if news_pending(imap):
        return stop()
    tag = b"CSI" + str(int(time.monotonic() * 1000) % 10**9).encode()
    imap.send(tag + b" IDLE\r\n")
    news = False
    while True:  # untagged lines may come before the continuation
        line = imap.readline()
        if not line:
            raise imaplib.IMAP4.abort("the server closed the connection starting IDLE")
        if line.startswith(b"+"):
            break
        if not line.startswith(b"* "):
            raise ImapProblem(f"IDLE refused: {line.strip().decode('utf-8', 'replace')}")
        news = news or _announces_mail(line)
    sock = imap.socket()
    deadline = time.monotonic() + renew
    stopped = False
    while not news and time.monotonic() < deadline:
        if stop():
            stopped = True
            break
        readable, _, _ = select.select([sock], [], [], _TICK)
        if readable:
            line = imap.readline()
            if not line:
                raise imaplib.IMAP4.abort("the server closed the connection during IDLE")
            if line.startswith(b"* BYE"):
                raise imaplib.IMAP4.abort(line.strip().decode("utf-8", "replace"))
            news = _announces_mail(line)
    imap.send(b"DONE\r\n")
    while True:
        reply = imap.readline()
        if not reply:
            raise imaplib.IMAP4.abort("the server closed the connection ending IDLE")
        if reply.startswith(tag + b" "):
            if not reply[len(tag) + 1 :].upper().startswith(b"OK"):
                raise ImapProblem(f"IDLE ended badly: {reply.strip().decode('utf-8', 'replace')}")
            return stopped


def _announces_mail(line: bytes) -> bool:
    upper = line.upper()
    return b"EXISTS" in upper or b"RECENT" in upper


class EmailWorker:
    """The IMAP import threads of one server process, one per configured mailbox.

    It follows the configuration: ``channel add email`` / ``channel email add`` on a running
    server are picked up within a second or two, ``channel remove email`` / ``channel email
    remove`` disconnect.
    """

    def __init__(
        self,
        state: ServerState,
        lookup: Callable[[Provider], ChannelSettings | None],
        *,
        realm: str = Realm.PRODUCTION.value,
    ) -> None:
        self.state = state
        self.lookup = lookup
        self.realm = realm
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.workers: dict[str, MailboxWorker] = {}

    @property
    def last_error(self) -> str | None:
        return next((w.last_error for w in list(self.workers.values()) if w.last_error), None)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="csdesk-imap", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        self._stop_workers(list(self.workers), timeout)

    def _names(self) -> list[str]:
        try:
            cfg = self.lookup(Provider.EMAIL)
        except Exception:  # a bad key or the database away: the workers report it
            return list(self.workers)
        return config_store.mailbox_names(cfg) if cfg is not None else []

    def _run(self) -> None:
        while not self._stop.is_set():
            wanted = self._names()
            self._stop_workers([n for n in self.workers if n not in wanted], 10.0)
            for name in wanted:
                if name not in self.workers:
                    worker = MailboxWorker(self.state, self.lookup, name, realm=self.realm)
                    self.workers[name] = worker
                    worker.start()
            self._stop.wait(_TICK * 2)

    def _stop_workers(self, names: list[str], timeout: float) -> None:
        going = [w for w in (self.workers.pop(n, None) for n in names) if w is not None]
        for worker in going:
            worker.signal_stop()  # all at once: each may be mid-IDLE for a tick
        for worker in going:
            worker.stop(timeout)


class MailboxWorker:
    """The IMAP import thread of one mailbox: connect, import, wait for more, reconnect."""

    def __init__(
        self,
        state: ServerState,
        lookup: Callable[[Provider], ChannelSettings | None],
        name: str = config_store.DEFAULT_MAILBOX,
        *,
        realm: str = Realm.PRODUCTION.value,
    ) -> None:
        self.state = state
        self.lookup = lookup
        self.name = name
        self.realm = realm
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures: dict[int, int] = {}
        self.last_error: str | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"csdesk-imap-{self.name}", daemon=True
        )
        self._thread.start()

    def signal_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _config(self) -> ChannelSettings | None:
        try:
            cfg = self.lookup(Provider.EMAIL)
        except VaultError as exc:
            self._report(f"email: cannot read the channel secrets: {exc}")
            return None
        except Exception as exc:  # the database is away; try again later
            self._report(f"email: cannot read the email channel configuration ({exc})")
            return None
        box = config_store.mailbox(cfg, self.name) if cfg is not None else None
        return box if box is not None and box.text("imap_host") else None

    def _report(self, text: str) -> None:
        """Log a problem once, not on every retry of the same problem."""
        if text != self.last_error:
            log.warning("%s", text)
        self.last_error = text

    def _run(self) -> None:
        delay = FIRST_RETRY
        while not self._stop.is_set():
            cfg = self._config()
            if cfg is None:
                self._stop.wait(1.0)
                continue
            where = f"{cfg.text('imap_user')}@{cfg.text('imap_host')}"
            try:
                self._session(cfg)
                delay = FIRST_RETRY  # a clean end: stopping or reconfigured
                continue
            except imaplib.IMAP4.abort as exc:
                problem = f"connection to the IMAP server {where} was lost ({_text(exc)})"
            except imaplib.IMAP4.error as exc:
                problem = f"the IMAP server {where} refused: {_text(exc)}"
            except ImapProblem as exc:
                problem = f"IMAP {where}: {exc}"
            except (OSError, EOFError) as exc:
                problem = f"cannot reach the IMAP server {where} ({type(exc).__name__}: {exc})"
            except Exception as exc:  # never let the import thread die
                log.exception("email: unexpected error in the IMAP worker")
                problem = f"unexpected error in the IMAP worker ({type(exc).__name__})"
            log.warning("email (%s): %s; retrying in %.0fs", self.name, problem, delay)
            self.last_error = problem
            self._stop.wait(delay)
            delay = min(delay * 2, MAX_RETRY)

    # --- one connection -------------------------------------------------------------------

    def _session(self, cfg: ChannelSettings) -> None:
        """Connect, import, wait for more; returns when stopping or reconfigured."""
        fingerprint = _fingerprint(cfg)
        imap = connect(cfg)
        try:
            mailbox = cfg.text("mailbox", "INBOX")
            _ok(imap.select(_quoted(mailbox), readonly=True), f"SELECT {mailbox}")
            validity = _uidvalidity(imap)
            idle = has_idle(imap)
            if self.last_error is not None:
                log.warning("email (%s): connected to %s again", self.name, mailbox_key(cfg))
            self.last_error = None
            poll = max(1.0, float(cfg.settings.get("poll_seconds") or 60))
            while not self._stop.is_set():
                # Settings changed while we waited (``channel add email`` again, say a new
                # --authserv-id): reconnect and read the new mail with them, not the old ones.
                if self._changed(fingerprint):
                    return
                self._import(imap, cfg, validity)
                if not self._wait(imap, idle, poll, fingerprint):
                    return
        finally:
            _close(imap)

    def _changed(self, fingerprint: tuple[Any, ...]) -> bool:
        cfg = self._config()
        return cfg is None or _fingerprint(cfg) != fingerprint

    def _wait(
        self, imap: imaplib.IMAP4, idle: bool, poll: float, fingerprint: tuple[Any, ...]
    ) -> bool:
        """Wait for new mail; False when the worker should disconnect (stop, reconfigured)."""
        if news_pending(imap):  # arrived while the last mail was read: read it now
            return True
        if not idle:
            deadline = time.monotonic() + poll
            while time.monotonic() < deadline:
                if self._stop.wait(_TICK) or self._changed(fingerprint):
                    return False
            _ok(imap.noop(), "NOOP")
            return True
        return self._idle(imap, min(poll, _MAX_IDLE), fingerprint)

    def _idle(self, imap: imaplib.IMAP4, renew: float, fingerprint: tuple[Any, ...]) -> bool:
        stopped = idle_for_news(
            imap, renew, lambda: self._stop.is_set() or self._changed(fingerprint)
        )
        return not stopped

    # --- importing ------------------------------------------------------------------------

    def _cursor(self, key: str, validity: int) -> int:
        with self.state.reads() as s:
            row = s.get(m.ChannelConfig, Provider.EMAIL.value)
            state = (row.settings or {}).get(STATE_KEY, {}) if row is not None else {}
        mine = state.get(key) if isinstance(state, dict) else None
        if isinstance(mine, dict) and mine.get("uidvalidity") == validity:
            return int(mine.get("uid") or 0)
        return 0

    def _import(self, imap: imaplib.IMAP4, cfg: ChannelSettings, validity: int) -> int:
        key = mailbox_key(cfg)
        after = self._cursor(key, validity)
        news_pending(imap)  # the search below sees whatever was announced so far
        done = 0
        for uid in new_uids(imap, after):
            if self._stop.is_set():
                break
            raw = fetch(imap, uid)
            self._store(cfg, key, validity, uid, raw)
            done += 1
        return done

    def _store(
        self, cfg: ChannelSettings, key: str, validity: int, uid: int, raw: bytes | None
    ) -> None:
        """Ingest one mail and advance the cursor past it, in one transaction."""
        limit = int(cfg.settings.get("max_attachment_bytes") or DEFAULT_MAX_ATTACHMENT_BYTES)
        msg = None
        if raw is not None:
            msg = parse_email(
                raw,
                max_attachment_bytes=limit,
                received_at=datetime.now(UTC),
                authserv_id=cfg.text("authserv_id") or None,
            )
            if msg.parse_warning:  # only warnings that mean content was lost
                msg = with_original(msg, raw, limit)
        try:
            with self.state.writes() as s:
                if msg is not None:
                    self._ingest(s, msg, cfg, f"{key}#{validity}:{uid}")
                _advance(s, key, validity, uid)
                s.commit()
        except Exception as exc:
            failures = self._failures.get(uid, 0) + 1
            self._failures[uid] = failures
            if failures < _SKIP_AFTER:
                raise
            log.error(
                "email: mail UID %d in %s could not be stored (%s: %s); skipped, it stays "
                "in the mailbox",
                uid,
                key,
                type(exc).__name__,
                exc,
            )
            with self.state.writes() as s:
                _advance(s, key, validity, uid)
                s.commit()
        self._failures.pop(uid, None)

    def _ingest(self, s: Any, msg: InboundMessage, cfg: ChannelSettings, source: str) -> None:
        file_email(
            s,
            msg,
            realm=self.realm,
            provider=Provider.EMAIL.value,
            store=self.state.attachments,
            source_ref=source,
            business=config_store.address_of(cfg) or cfg.text("imap_user") or None,
            mailbox=self.name,
        )


def _advance(s: Any, key: str, validity: int, uid: int) -> None:
    row = s.get(m.ChannelConfig, Provider.EMAIL.value, with_for_update=True)
    if row is None:
        return
    settings = dict(row.settings or {})
    state = dict(settings.get(STATE_KEY) or {})
    current = state.get(key)
    if (
        isinstance(current, dict)
        and current.get("uidvalidity") == validity
        and int(current.get("uid") or 0) >= uid
    ):
        return
    state[key] = {"uidvalidity": validity, "uid": uid}
    settings[STATE_KEY] = state
    row.settings = settings


def _text(exc: Exception) -> str:
    """imaplib puts the server's bytes in its exceptions; show them as text."""
    first = exc.args[0] if exc.args else ""
    return first.decode("utf-8", "replace") if isinstance(first, bytes) else str(exc)


def _quoted(mailbox: str) -> str:
    """A mailbox name as an IMAP quoted string (names may contain spaces)."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
