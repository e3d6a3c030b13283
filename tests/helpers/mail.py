"""Real mail servers for tests: a private dovecot (IMAP) on loopback and an aiosmtpd sink.

Dovecot runs from its own config file in a temp dir (nothing in /etc changes); see the "Mail
servers for tests" section of the platform notes for why each line is there.  Skips with a
reason when dovecot or aiosmtpd is missing, and fails under CI=true (``requirements``).
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.helpers.requirements import require
from tests.helpers.server import free_port

DOVECOT = "/usr/sbin/dovecot"

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class Dovecot:
    """A private dovecot instance; ``users`` maps login to password.

    Its files live in a fresh world-traversable directory under /tmp, not in pytest's tmp_path:
    dovecot's auth and imap processes run as other users and pytest's directories are 0700.
    """

    users: dict[str, str]
    port: int = field(default_factory=free_port)
    #: More dovecot settings, e.g. an ``imap_capability`` without IDLE.
    extra_config: str = ""
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="csdesk-dovecot-")))

    def start(self) -> Dovecot:
        require(Path(DOVECOT).exists(), f"{DOVECOT} not installed (apt-get install dovecot-imapd)")
        require(os.geteuid() == 0, "a private dovecot needs root here (it drops to nobody)")
        nobody = pwd.getpwnam("nobody")
        self.root.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "mail", nobody.pw_uid, nobody.pw_gid)
        (self.root / "users").write_text(
            "".join(f"{user}:{{PLAIN}}{password}\n" for user, password in self.users.items())
        )
        (self.root / "users").chmod(0o644)  # read by dovecot's auth process (test passwords)
        conf = self.root / "dovecot.conf"
        conf.write_text(_CONFIG.format(root=self.root, port=self.port) + self.extra_config)
        # dovecot daemonizes; its children inherit our descriptors, so never give it a pipe.
        with open(self.root / "start.err", "wb") as err:
            code = subprocess.call(
                [DOVECOT, "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                timeout=30,
            )
        if code != 0 or not _wait_port(self.port, 15):
            problem = (self.root / "start.err").read_text(errors="replace")
            raise RuntimeError(f"dovecot did not start: {problem}\n{self.log_text()[-2000:]}")
        return self

    def stop(self) -> None:
        self._kill_master()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_master(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def log_text(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def connect(self, user: str) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(user, self.users[user])
        return imap

    def deliver(self, user: str, raw: bytes, mailbox: str = "INBOX") -> None:
        """Put ``raw`` in the mailbox the way an MTA's delivery agent would (IMAP APPEND)."""
        imap = self.connect(user)
        try:
            status, data = imap.append(mailbox, None, None, raw)
            assert status == "OK", data
        finally:
            imap.logout()


@dataclass
class Received:
    """One SMTP transaction the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


class SmtpSink:
    """An aiosmtpd server that keeps every message; AUTH with ``user``/``password`` only."""

    def __init__(self, user: str, password: str, port: int | None = None) -> None:
        self.user = user
        self.password = password
        self.port = port or free_port()
        self.received: list[Received] = []
        #: When set, every RCPT TO gets this answer (e.g. "550 5.1.1 No such user").
        self.rcpt_answer: str | None = None
        self._lock = threading.Lock()
        self._controller: Any = None

    def start(self) -> SmtpSink:
        try:
            from aiosmtpd.controller import Controller
            from aiosmtpd.smtp import AuthResult, LoginPassword
        except ImportError:
            require(False, "aiosmtpd is not installed (pip install aiosmtpd)")
            raise

        sink = self

        def authenticator(
            _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any
        ) -> Any:
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == sink.user
                and data.password.decode() == sink.password
            )
            return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)

        class Handler:
            async def handle_RCPT(
                self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
            ) -> str:
                if sink.rcpt_answer:
                    return sink.rcpt_answer
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
                login = session.auth_data.decode() if session.auth_data else None
                with sink._lock:
                    sink.received.append(
                        Received(
                            envelope.mail_from,
                            list(envelope.rcpt_tos),
                            bytes(envelope.original_content or envelope.content),
                            login,
                        )
                    )
                return "250 Message accepted for delivery"

        self._controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticator,
            auth_require_tls=False,
            auth_required=True,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    def wait(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            if time.monotonic() > deadline:
                raise AssertionError(f"SMTP sink got {len(self.received)} of {count} messages")
            time.sleep(0.05)
