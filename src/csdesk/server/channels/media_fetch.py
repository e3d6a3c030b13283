"""Inbound provider media: fetching the files customers send by SMS/MMS, WhatsApp, Messenger,
Instagram and Telegram, so agents can open them like email attachments.

Those webhooks carry only a reference (a Twilio MediaUrl, a WhatsApp media id, a Messenger CDN
URL, a Telegram file_id), and providers want a fast 200, so nothing is downloaded in the
webhook.  This background task finds stored inbound messages with references, downloads each
file as its provider documents, keeps it in the ``AttachmentStore`` and fills in the message's
attachment entry (``sha256``, ``size``, ``content_type``: the shape email attachments have, so
the download route and the desktop need nothing new).  The message is then written through the
ORM, which puts it on the change feed: desks see the file appear.

Finding work: the transaction that stores an inbound message with provider references also
inserts its ``media_fetches`` row (``enqueue``, called by ``ingest``), so the work is on
record the moment the message is; nothing is kept in process memory and a process that starts
later, or after a crash, finds it with one indexed query for rows that are due.

Claiming: the row carries the tries so far, when to try next (``next_attempt_at``, indexed)
and a lease.  The lease is taken in its own short transaction, the download happens outside
any transaction, so several server processes on one database never download one file twice
while all are healthy.  Network errors, 5xx and 429 are retried with the provider's
``--max-attempts``/``--retry-seconds`` backoff; then, or at once on a refusal (401/404, over
the size limit), the entry is marked ``"fetch": "failed"`` with ``fetch_error`` saying why.
When every file of the message is stored or failed the row is deleted: the entries say how
it ended.

Every GET goes through ``egress``: https to the provider's documented media hosts, public
addresses only, each redirect checked.  A URL the rules refuse is never retried; its entry
says ``"fetch": "failed"`` with the reason, and the desk shows "not downloaded: <reason>".
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlsplit

import requests
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from csdesk.domain.enums import Channel, Direction, Realm
from csdesk.server.channels import egress, meta, telegram, twilio
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.email_parse import DEFAULT_MAX_ATTACHMENT_BYTES
from csdesk.server.channels.outbound import join_url
from csdesk.server.channels.worker import LoopWorker, backoff
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

log = logging.getLogger(__name__)

#: Entry keys this module adds: ``fetch`` is "stored" or "failed"; ``fetch_error`` the reason.
STATE: Final = "fetch"
ERROR: Final = "fetch_error"
STORED: Final = "stored"
FAILED: Final = "failed"
LEASE: Final = timedelta(seconds=120)  # longer than a download of the largest allowed file
TIMEOUT: Final = (5.0, 30.0)  # connect, between bytes
BATCH: Final = 20
_CHUNK: Final = 64 * 1024
_CHANNELS: Final = frozenset(
    {Channel.SMS, Channel.WHATSAPP, Channel.MESSENGER, Channel.INSTAGRAM, Channel.TELEGRAM}
)
_CHANNEL_VALUES: Final = frozenset(c.value for c in _CHANNELS)
_LABELS: Final = {Provider.TWILIO: "Twilio", Provider.META: "Meta", Provider.TELEGRAM: "Telegram"}
#: Where each provider documents its media to be; the connection's ``api_base_url`` host is
#: added (the operator chose it).  Redirect hops may go elsewhere (Twilio's storage), but
#: only over https to public addresses.
TWILIO_HOSTS: Final = ("api.twilio.com",)
META_HOSTS: Final = ("lookaside.fbsbx.com", "*.fbcdn.net", "graph.facebook.com")
TELEGRAM_HOSTS: Final = ("api.telegram.org",)


class FetchError(Exception):
    """A download that did not work; ``retryable`` says whether trying later may help."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    content_type: str | None
    #: A name the provider gave the file (Telegram's file_path), to derive an extension from.
    name_hint: str | None = None


def pending(entry: Any) -> bool:
    """Whether an attachment entry is a provider reference still to be downloaded."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("provider_file_id"), str)
        and bool(entry["provider_file_id"])
        and not entry.get("sha256")
        and entry.get(STATE) not in (STORED, FAILED)
    )


def enqueue(session: Session, message: m.Message) -> bool:
    """Put a just-stored inbound message on the download queue if it has provider media.

    Called in the transaction that adds ``message`` (``ingest``), so the message and its
    bookkeeping are committed together; whether anything was queued is returned.  Only
    production messages: training scenarios carry no real provider files.
    """
    if (
        message.direction != Direction.IN.value
        or message.realm != Realm.PRODUCTION.value
        or message.channel not in _CHANNEL_VALUES
        or not any(pending(e) for e in message.attachments or [])
    ):
        return False
    now = utcnow()
    session.add(m.MediaFetch(message_id=message.id, attempts=0, next_attempt_at=now))
    return True


def provider_for(channel: str, reference: str) -> Provider | None:
    """Which connection serves a reference: WhatsApp media come from Twilio (a MediaUrl) or
    from the Cloud API (a media id)."""
    if channel == Channel.SMS.value:
        return Provider.TWILIO
    if channel == Channel.WHATSAPP.value:
        return Provider.TWILIO if reference.startswith(("https://", "http://")) else Provider.META
    if channel in (Channel.MESSENGER.value, Channel.INSTAGRAM.value):
        return Provider.META
    if channel == Channel.TELEGRAM.value:
        return Provider.TELEGRAM
    return None


def size_limit(cfg: ChannelSettings) -> int:
    """The same setting and default as email attachments (``--max-attachment-bytes``)."""
    return max(1, int(cfg.settings.get("max_attachment_bytes") or DEFAULT_MAX_ATTACHMENT_BYTES))


# --- talking to the providers ----------------------------------------------------------------


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def _too_big(size: int, limit: int) -> FetchError:
    return FetchError(
        f"the file is larger than the server's limit ({_mib(size)} > {_mib(limit)}; "
        "--max-attachment-bytes)",
        retryable=False,
    )


def _failure(label: str, resp: requests.Response) -> FetchError:
    status = resp.status_code
    retry_after: float | None = None
    header = resp.headers.get("Retry-After", "").strip()
    if header.isdigit():
        retry_after = float(header)
    if status in (401, 403):
        why = "refused the credentials (check the channel's token)"
    elif status == 404:
        why = "no longer has the file (404)"
    else:
        why = f"answered HTTP {status}"
    return FetchError(
        f"{label} {why}", retryable=status == 429 or status >= 500, retry_after=retry_after
    )


def hosts(documented: tuple[str, ...], base: str) -> tuple[str, ...]:
    """The provider's documented media hosts and the configured API host."""
    host = urlsplit(base).hostname
    return (*documented, host) if host else documented


def _get(
    http: egress.GuardedSession, url: str, label: str, allowed: tuple[str, ...], **kw: Any
) -> requests.Response:
    try:
        return egress.get(http, url, allowed=allowed, timeout=TIMEOUT, **kw)
    except egress.Refused as exc:
        raise FetchError(exc.reason, retryable=False) from None
    except requests.RequestException as exc:
        raise FetchError(
            f"could not reach {label} ({type(exc).__name__})", retryable=True
        ) from None


def download(
    http: egress.GuardedSession,
    url: str,
    label: str,
    limit: int,
    allowed: tuple[str, ...],
    headers: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> tuple[bytes, str | None]:
    """The bytes at ``url`` (on a host in ``allowed``) and their content type, refusing more
    than ``limit`` bytes without reading them all (the body is streamed)."""
    resp = _get(http, url, label, allowed, headers=dict(headers or {}), auth=auth, stream=True)
    with resp:
        if resp.status_code != 200:
            raise _failure(label, resp)
        declared = resp.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise _too_big(int(declared), limit)
        parts: list[bytes] = []
        total = 0
        try:
            for chunk in resp.iter_content(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _too_big(total, limit)
                parts.append(chunk)
        except requests.RequestException as exc:
            raise FetchError(
                f"the download from {label} broke off ({type(exc).__name__})", retryable=True
            ) from None
        ctype = resp.headers.get("Content-Type")
    return b"".join(parts), ctype.split(";")[0].strip() if ctype else None


def _json(
    http: egress.GuardedSession, url: str, label: str, allowed: tuple[str, ...], **kw: Any
) -> dict[str, Any]:
    resp = _get(http, url, label, allowed, **kw)
    if resp.status_code != 200:
        raise _failure(label, resp)
    data = _body(resp)
    if not data:
        raise FetchError(f"{label} answered something that is not JSON", retryable=True)
    return data


def _body(resp: requests.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _same_host(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


def fetch_twilio(
    http: egress.GuardedSession, cfg: ChannelSettings, url: str, limit: int
) -> Fetched:
    """GET the MediaUrl with Basic auth (needed when the account protects its media),
    following Twilio's redirect to its storage; credentials only ever go to Twilio's API host
    (``egress.get`` drops them on a redirect to another origin)."""
    base = cfg.text("api_base_url", twilio.DEFAULT_API_BASE)
    auth = None
    if _same_host(url, base):
        auth = (cfg.text("account_sid"), cfg.secret("auth_token"))
    data, ctype = download(http, url, "Twilio", limit, hosts(TWILIO_HOSTS, base), auth=auth)
    return Fetched(data, ctype)


def fetch_whatsapp(
    http: egress.GuardedSession, cfg: ChannelSettings, media_id: str, limit: int
) -> Fetched:
    """Cloud API: ``GET /{version}/{media-id}`` for a short-lived URL, then GET that URL, both
    with the Bearer token; the file is checked against the SHA-256 Meta gives."""
    base = cfg.text("api_base_url", meta.DEFAULT_GRAPH_BASE)
    version = cfg.text("graph_version", meta.DEFAULT_GRAPH_VERSION)
    bearer = {"Authorization": f"Bearer {cfg.secret('access_token')}"}
    allowed = hosts(META_HOSTS, base)
    info = _json(
        http,
        join_url(base, f"/{version}/{quote(media_id, safe='')}"),
        "Meta",
        allowed,
        headers=bearer,
    )
    url = info.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise FetchError("Meta's media answer has no download URL", retryable=True)
    size = info.get("file_size")
    if isinstance(size, int) and size > limit:
        raise _too_big(size, limit)
    # The token goes only to a Meta media host: ``download`` refuses any other first.
    data, ctype = download(http, url, "Meta", limit, allowed, headers=bearer)
    expected = info.get("sha256")
    if isinstance(expected, str) and expected and hashlib.sha256(data).hexdigest() != expected:
        raise FetchError("the file from Meta does not match its SHA-256", retryable=True)
    mime = info.get("mime_type")
    return Fetched(data, str(mime) if isinstance(mime, str) and mime else ctype)


def fetch_direct(
    http: egress.GuardedSession, cfg: ChannelSettings, url: str, limit: int
) -> Fetched:
    """Messenger/Instagram ``payload.url``: a signed CDN URL, a plain GET; the customer can
    put any link there (a "fallback" share), so only Meta's media hosts are fetched."""
    base = cfg.text("api_base_url", meta.DEFAULT_GRAPH_BASE)
    data, ctype = download(http, url, "Meta", limit, hosts(META_HOSTS, base))
    return Fetched(data, ctype)


def fetch_telegram(
    http: egress.GuardedSession, cfg: ChannelSettings, file_id: str, limit: int
) -> Fetched:
    """``getFile`` for the file's path, then ``/file/bot<token>/<file_path>``."""
    base = cfg.text("api_base_url", telegram.DEFAULT_API_BASE)
    token = cfg.secret("bot_token")
    if not token:
        raise FetchError("the Telegram bot token is not configured", retryable=False)
    allowed = hosts(TELEGRAM_HOSTS, base)
    resp = _get(
        http,
        join_url(base, f"/bot{token}/getFile"),
        "Telegram",
        allowed,
        params={"file_id": file_id},
    )
    body = _body(resp)
    if resp.status_code == 400:
        # "file is too big" (the Bot API serves files up to 20 MB) or an unknown file_id.
        detail = body.get("description") or "Bad Request"
        raise FetchError(f"Telegram refused the file: {detail}", retryable=False)
    if resp.status_code != 200:
        raise _failure("Telegram", resp)
    result = body.get("result") if body.get("ok") else None
    path = result.get("file_path") if isinstance(result, dict) else None
    if not isinstance(path, str) or not path:
        raise FetchError("Telegram gave no file_path for the file", retryable=False)
    size = result.get("file_size") if isinstance(result, dict) else None
    if isinstance(size, int) and size > limit:
        raise _too_big(size, limit)
    url = join_url(base, f"/file/bot{token}/{quote(path)}")
    data, ctype = download(http, url, "Telegram", limit, allowed)
    if ctype == "application/octet-stream":
        ctype = None  # Telegram's file server does not know; keep what the update said
    return Fetched(data, ctype, posixpath.basename(path))


def fetch(
    http: egress.GuardedSession, cfg: ChannelSettings, channel: str, reference: str, limit: int
) -> Fetched:
    if cfg.provider == Provider.TWILIO:
        return fetch_twilio(http, cfg, reference, limit)
    if cfg.provider == Provider.TELEGRAM:
        return fetch_telegram(http, cfg, reference, limit)
    if channel == Channel.WHATSAPP.value:
        return fetch_whatsapp(http, cfg, reference, limit)
    return fetch_direct(http, cfg, reference, limit)


def with_file(entry: dict[str, Any], got: Fetched, sha256: str) -> dict[str, Any]:
    """The attachment entry once its bytes are stored: type and name kept or derived."""
    out = dict(entry)
    ctype = got.content_type or str(entry.get("content_type") or "") or "application/octet-stream"
    name = str(entry.get("filename") or "") or got.name_hint or "attachment"
    if not posixpath.splitext(name)[1]:
        ext = posixpath.splitext(got.name_hint or "")[1] or mimetypes.guess_extension(ctype) or ""
        name += ext
    out.update(
        sha256=sha256, size=len(got.data), content_type=ctype, filename=name, **{STATE: STORED}
    )
    out.pop(ERROR, None)
    return out


def with_failure(entry: dict[str, Any], reason: str) -> dict[str, Any]:
    return {**entry, STATE: FAILED, ERROR: reason[:500]}


# --- the background task ---------------------------------------------------------------------


def policy_of(state: ServerState) -> egress.EgressPolicy:
    """The fetch rules for this server: no exemptions unless the configuration names some."""
    trusted = state.config.fetch_trusted_origins
    if trusted:
        log.warning("media fetch rules do not apply to %s (fetch_trusted_origins)", trusted)
    return egress.EgressPolicy(egress.parse_origins(trusted))


@dataclass
class _Outcome:
    """What one round did to one message's pending entries (by index)."""

    done: dict[int, tuple[Fetched, str]]
    failed: dict[int, str]
    retry: FetchError | None
    cfg: ChannelSettings | None


class MediaFetcher(LoopWorker):
    """Downloads pending provider media; see the module docstring."""

    task_name = "csdesk-media-fetch"
    round_name = "media download"
    #: Files arrive with webhooks, a few a second at most: a round per commit (every push
    #: is one) was 4-9 % of a busy server's CPU for nothing.
    min_gap_seconds = 0.25

    def __init__(
        self,
        state: ServerState,
        lookup: Callable[[Provider], ChannelSettings | None],
        *,
        poll_seconds: float = 0.5,
    ) -> None:
        super().__init__(state, poll_seconds=poll_seconds)
        self.lookup = lookup
        self.http.close()
        self.guarded = egress.GuardedSession(policy_of(state))
        self.http = self.guarded  # closed by ``stop``

    # --- one round -------------------------------------------------------------------------

    def run_once(self) -> int:
        """Work on every message whose media are due now; the number of messages handled."""
        now = utcnow()
        done = 0
        for message_id in self._due(now):
            if self.stopping:
                return done
            lease = self._claim(message_id, now)
            if lease is not None:
                self._work(message_id, lease)
                done += 1
        return done

    def _due(self, now: datetime) -> list[str]:
        f = m.MediaFetch
        stmt = (
            select(f.message_id)
            .where(f.next_attempt_at <= now, or_(f.lease_until.is_(None), f.lease_until < now))
            .order_by(f.next_attempt_at)
            .limit(BATCH)
        )
        with self.state.reads() as s:
            return list(s.scalars(stmt))

    def _claim(self, message_id: str, now: datetime) -> datetime | None:
        """Take the lease, unless another process did since ``_due`` looked; the lease's
        expiry doubles as our token (see :meth:`_renew`)."""
        f = m.MediaFetch
        lease = now + LEASE
        with self.state.writes() as s:
            claimed = s.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
                update(f)
                .where(
                    and_(
                        f.message_id == message_id,
                        f.next_attempt_at <= now,
                        or_(f.lease_until.is_(None), f.lease_until < now),
                    )
                )
                .values(lease_until=lease)
                .execution_options(synchronize_session=False)
            ).rowcount
            s.commit()
            return lease if claimed else None

    def _renew(self, message_id: str, lease: datetime) -> datetime | None:
        """Extend our lease before the next file (a message may carry ten slow ones); None
        when it expired and another process took the message over: it will finish it."""
        f = m.MediaFetch
        longer = utcnow() + LEASE
        with self.state.writes() as s:
            renewed = s.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
                update(f)
                .where(and_(f.message_id == message_id, f.lease_until == lease))
                .values(lease_until=longer)
                .execution_options(synchronize_session=False)
            ).rowcount
            s.commit()
        return longer if renewed else None

    def _work(self, message_id: str, lease: datetime) -> None:
        with self.state.reads() as s:
            msg = s.get(m.Message, message_id)
            entries = list(msg.attachments or []) if msg is not None else []
            channel = msg.channel if msg is not None else ""
        todo = [(n, e) for n, e in enumerate(entries) if pending(e)]
        outcome = _Outcome({}, {}, None, None)
        for i, (n, entry) in enumerate(todo):
            if self.stopping:
                break
            if i:
                renewed = self._renew(message_id, lease)
                if renewed is None:
                    log.warning("media of %s taken over by another process", message_id)
                    return
                lease = renewed
            reference = str(entry["provider_file_id"])
            provider = provider_for(channel, reference)
            cfg = self.lookup(provider) if provider is not None else None
            if cfg is None:
                name = _LABELS.get(provider, "its provider") if provider else "its provider"
                outcome.failed[n] = (
                    f"{name} is not connected on the server, so the file cannot be downloaded"
                )
                continue
            outcome.cfg = cfg
            try:
                got = fetch(self.guarded, cfg, channel, reference, size_limit(cfg))
                outcome.done[n] = (got, self.state.attachments.put(got.data))
            except FetchError as exc:
                if exc.retryable:
                    outcome.retry = exc
                else:
                    outcome.failed[n] = exc.reason
            except Exception as exc:  # a full disk, a bug: counted and retried, never looping
                log.exception("media of %s could not be stored", message_id)
                outcome.retry = FetchError(f"the file could not be stored: {exc}", retryable=True)
        self._record(message_id, outcome, lease)

    def _record(self, message_id: str, outcome: _Outcome, lease: datetime) -> None:
        now = utcnow()
        with self.state.writes() as s:
            msg = s.get(m.Message, message_id, with_for_update=True)
            attempt = s.get(m.MediaFetch, message_id, with_for_update=True)
            if msg is None or attempt is None or attempt.lease_until != lease:
                s.commit()  # gone, or another process took over after our lease ran out
                return
            attempt.attempts += 1
            attempt.lease_until = None
            entries = list(msg.attachments or [])
            cfg = outcome.cfg
            limit = cfg.max_attempts if cfg is not None else 1
            give_up = outcome.retry is not None and attempt.attempts >= limit
            changed = False
            for n, entry in enumerate(entries):
                if not pending(entry):
                    continue
                if n in outcome.done:
                    got, sha = outcome.done[n]
                    entries[n] = with_file(entry, got, sha)
                elif n in outcome.failed:
                    entries[n] = with_failure(entry, outcome.failed[n])
                elif give_up and outcome.retry is not None:
                    entries[n] = with_failure(
                        entry,
                        f"{outcome.retry.reason}; gave up after {attempt.attempts} attempts",
                    )
                else:
                    continue
                changed = True
            if changed:
                msg.attachments = entries  # a new list: the ORM (and so the feed) sees it
            if any(pending(e) for e in entries):
                assert outcome.retry is not None or self.stopping
                base = cfg.retry_seconds if cfg is not None else 2.0
                hint = outcome.retry.retry_after if outcome.retry is not None else None
                delay = backoff(attempt.attempts, base, hint)
                attempt.next_attempt_at = now + timedelta(seconds=delay)
                attempt.last_error = outcome.retry.reason if outcome.retry else None
                log.info(
                    "media of message %s: %s; retry %d in %.1fs",
                    message_id,
                    attempt.last_error or "interrupted",
                    attempt.attempts,
                    delay,
                )
            else:
                s.delete(attempt)  # finished: the entries say how it ended
            s.commit()
