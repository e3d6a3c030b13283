"""Signed, expiring links to stored files, for providers that fetch media themselves.

Twilio (``MediaUrl``) and Messenger/Instagram (``attachment.payload.url``) download a reply's
files from a URL we give them, without any credentials of ours.  The link names the file's
SHA-256, its type, its name and an expiry time, all covered by an HMAC: nobody can forge a link
to another file or stretch its life, and a link stops working after ``LINK_TTL``.

The HMAC key is derived from ``CSDESK_SECRET_KEY`` when it is set (so every server process of a
deployment accepts every other's links) and otherwise kept in ``link.key`` in the server's data
directory (mode 0600, created on first use).

Handlers that only receive a ``Session`` (the mutation handlers, the dispatcher's planner) reach
the attachment store and these links through ``session.info``: ``install`` puts the server
state there, ``state_of`` reads it back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from sqlalchemy.orm import Session

from csdesk.server.channels.vault import ENV_KEY

if TYPE_CHECKING:
    from csdesk.server.state import ServerState

LINK_KEY_FILE: Final = "link.key"
#: Long enough for a provider's retries over a day; short enough that a leaked link dies.
LINK_TTL: Final = 24 * 3600
PUBLIC_PREFIX: Final = "/public/attachments"
_STATE_KEY: Final = "csdesk.server_state"
_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()


def install(state: ServerState) -> None:
    """Make ``state`` reachable from every session its factories open (see the docstring)."""
    for factory in (state.writes, state.reads):
        info = dict(factory.kw.get("info") or {})
        info[_STATE_KEY] = state
        factory.configure(info=info)


def state_of(session: Session) -> ServerState | None:
    state = session.info.get(_STATE_KEY)
    return state if state is not None else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def link_key(data_dir: Path, environ: dict[str, str] | None = None) -> bytes:
    """The HMAC key for links (see the module docstring); cached per data directory."""
    env = (os.environ if environ is None else environ).get(ENV_KEY, "").strip()
    if env:
        first = env.replace("\n", ",").split(",")[0].strip()
        return hashlib.sha256(b"csdesk attachment links\0" + first.encode()).digest()
    path = data_dir / LINK_KEY_FILE
    with _keys_lock:
        cached = _keys.get(str(path))
        if cached is not None:
            return cached
        if not path.exists():
            _create_key_file(path)
        secret = path.read_bytes().strip()
        if not secret:
            # Its key would be SHA-256 of nothing: anyone could sign links with it.
            raise LinkKeyError(
                f"{path} is empty; delete it (the server makes a new one, and links given out "
                "before stop working) or set CSDESK_SECRET_KEY"
            )
        key = hashlib.sha256(secret).digest()
        _keys[str(path)] = key
        return key


class LinkKeyError(RuntimeError):
    """The link key file cannot be used (see ``link_key``)."""


def _create_key_file(path: Path) -> None:
    """Write a new key under a temporary name, then link it into place (which never replaces
    a file): another server process finds no file or the whole key, never an empty file
    that is still being written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_b64(os.urandom(32)).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: read theirs
        except OSError:  # no hard links on this file system: create in place instead
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as out:
                    out.write(tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class LinkTarget:
    sha256: str
    content_type: str
    filename: str
    expires: int


def sign(key: bytes, target: LinkTarget) -> str:
    payload = json.dumps(
        [target.sha256, target.expires, target.content_type, target.filename],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    body = _b64(payload)
    mac = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:24])
    return f"{body}.{mac}"


def verify(key: bytes, token: str, now: float | None = None) -> LinkTarget | None:
    """The file a token names, or None if it is forged, malformed or expired."""
    body, _, mac = token.partition(".")
    if not body or not mac:
        return None
    try:
        expected = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:24])
        if not hmac.compare_digest(expected, mac):
            return None
        sha, expires, ctype, name = json.loads(_unb64(body))
    except (ValueError, UnicodeError, TypeError):
        return None
    if not isinstance(expires, int) or expires < (time.time() if now is None else now):
        return None
    return LinkTarget(str(sha), str(ctype), str(name), expires)


def public_link(state: ServerState, meta: dict[str, object], ttl: int = LINK_TTL) -> str:
    """The full public URL of a stored attachment (``meta`` as on the message row)."""
    target = LinkTarget(
        str(meta["sha256"]),
        str(meta.get("content_type") or "application/octet-stream"),
        str(meta.get("filename") or "file"),
        int(time.time()) + ttl,
    )
    token = sign(link_key(state.config.data_dir), target)
    # The name at the end is only for the provider's eyes (Messenger shows it); the token rules.
    path = f"{PUBLIC_PREFIX}/{token}/{quote(target.filename, safe='')}"
    return state.config.public_base_url.rstrip("/") + path
