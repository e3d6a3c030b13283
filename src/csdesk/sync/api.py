"""The sync server's HTTP API, as typed calls and typed failures.

The HTTP transport (``csdesk.sync.http``: one kept-alive ``requests.Session``) is imported and
opened at the first request, not with this module: a start from the cached inbox paints before
it needs the network, and requests costs ~70 ms to import. ``load_transport()`` imports it
ahead of time, on the caller's thread (the desk's GUI thread, while idle).

Every failure becomes one of the exceptions below, each carrying a sentence an agent can read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final
from urllib.parse import quote

from csdesk.i18n import _, ngettext
from csdesk.protocol import (
    API_PREFIX,
    DEFAULT_PAGE,
    Entity,
    Mutation,
    MutationResult,
    PullPage,
)
from csdesk.sync.reasons import localized

if TYPE_CHECKING:
    from requests import Response

    from csdesk.sync.http import TrackingAdapter, Transport

#: Seconds to wait for a connection, and for an answer beyond any long-poll ``wait``.
DEFAULT_TIMEOUT: Final = 10.0
#: How long a file the server confirmed is not uploaded again (well under its upload grace).
UPLOAD_REUSE_SECONDS: Final = 3600.0


class SyncError(Exception):
    """Base of every sync failure; ``str(exc)`` is a sentence for the agent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Offline(SyncError):
    """The server could not be reached (refused, reset, timed out, name not found)."""


class TlsError(SyncError):
    """The secure connection failed (certificate, protocol): retrying will not help."""


class WrongCredentials(SyncError):
    """Wrong user name or password."""


class SessionExpired(SyncError):
    """The token is invalid, revoked or expired: the agent must sign in again."""

    #: The token the refused request carried (a newer one may already be in use).
    token: str | None = None


class Throttled(SyncError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CursorAhead(SyncError):
    """The cache is ahead of the server's feed: the server's database was replaced."""

    def __init__(self, message: str, head: int | None) -> None:
        super().__init__(message)
        self.head = head


class ServerError(SyncError):
    """Any other error answer (or an answer that is not the API's JSON). ``message`` is for
    the agent (in the desk's language when the server sent its template); ``english`` is the
    server's own text, for code that must recognise it."""

    def __init__(self, status: int, code: str, message: str, english: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.english = message if english is None else english


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Snapshot:
    entity: Entity
    id: str
    seq: int
    deleted: bool
    data: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Another agent on the same conversation."""

    user_id: str
    display_name: str
    typing: bool


class SyncApi:
    """Typed calls to ``/api/v1``. Safe to use from a push and a pull thread at once."""

    def __init__(
        self, base_url: str, token: str | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: The server's address for customers (its public pages), learnt at sign-in or from
        #: ``me()``; None until then (links then use ``base_url``).
        self.public_base_url: str | None = None
        self.token = token
        self.timeout = timeout
        self._transport: Transport | None = None  # opened by the first request
        self._transport_lock = threading.Lock()
        #: Files the server confirmed it holds for the signed-in user, and when (monotonic):
        #: not sent again for a while. Uploads are per user and an unused one is removed
        #: after the server's grace period, so this is forgotten at sign-in and sign-out and
        #: trusted only for ``UPLOAD_REUSE_SECONDS``.
        self._uploaded: dict[str, float] = {}
        self._uploaded_lock = threading.Lock()

    # --- auth -------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResult:
        """Sign in; on success this API object uses the new token from then on."""
        body = self._call(
            "POST",
            "/auth/login",
            json={"username": username, "password": password},
            auth=False,
        )
        result = LoginResult(
            token=str(body["token"]),
            expires_at=datetime.fromisoformat(str(body["expires_at"])),
            user=dict(body["user"]),
        )
        self.token = result.token
        self._learn_public_base_url(body)
        with self._uploaded_lock:
            self._uploaded.clear()
        return result

    def _learn_public_base_url(self, body: Any) -> None:
        public = body.get("public_base_url") if isinstance(body, dict) else None
        if isinstance(public, str) and public.startswith(("http://", "https://")):
            self.public_base_url = public.rstrip("/")

    def logout(self) -> None:
        """Revoke the token on the server and forget it here."""
        try:
            self._call("POST", "/auth/logout")
        finally:
            self.token = None
            with self._uploaded_lock:
                self._uploaded.clear()

    def me(self) -> dict[str, Any]:
        body = dict(self._call("GET", "/auth/me"))
        self._learn_public_base_url(body)
        return body

    # --- sync -------------------------------------------------------------------------------

    def pull(self, after: int, limit: int = DEFAULT_PAGE, wait: float = 0.0) -> PullPage:
        """Changes after ``after``; with ``wait`` the server holds the request until news."""
        body = self._call(
            "GET",
            "/changes",
            params={"after": after, "limit": limit, "wait": wait},
            read_timeout=wait + self.timeout,
        )
        return {
            "changes": list(body["changes"]),
            "cursor": int(body["cursor"]),
            "head": int(body["head"]),
            "more": bool(body["more"]),
        }

    def push(self, mutations: list[Mutation]) -> list[MutationResult]:
        """Push ``mutations``; files a reply carries are uploaded first (see ``_with_uploads``),
        so the server never receives a reply whose files it does not have."""
        mutations = [self._with_uploads(mut) for mut in mutations]
        # A batch of many mutations is applied one transaction each: allow for it.
        body = self._call(
            "POST",
            "/push",
            json={"mutations": mutations},
            read_timeout=self.timeout + 0.25 * len(mutations),
        )
        return list(body["results"])

    # --- files on replies -------------------------------------------------------------------

    def upload_attachment(
        self, path: Path, filename: str, content_type: str, sha256: str | None = None
    ) -> dict[str, Any]:
        """Upload one file (streamed from disk); the server's reference to it. ``sha256``
        lets the server refuse a file damaged on the way."""
        params: dict[str, Any] = {"filename": filename}
        if sha256:
            params["sha256"] = sha256
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise ServerError(
                0,
                "invalid_request",
                _(
                    "The file {name} attached to this reply cannot be read any more ({problem})."
                ).format(name=repr(filename), problem=exc.strerror or exc),
            ) from exc
        with handle:
            size = path.stat().st_size
            body = self._call(
                "POST",
                "/attachments",
                params=params,
                data=handle,
                content_type=content_type or "application/octet-stream",
                # A slow uplink: allow about 100 KB/s before calling it a timeout.
                read_timeout=self.timeout + size / 100_000,
            )
        return dict(body)

    def _recently_uploaded(self, sha: str) -> bool:
        with self._uploaded_lock:
            at = self._uploaded.get(sha)
        return at is not None and time.monotonic() - at < UPLOAD_REUSE_SECONDS

    def _with_uploads(self, mutation: Mutation) -> Mutation:
        """The mutation as the server takes it: each queued file (``local``: its copy in the
        desk's data directory) uploaded, then referred to by the server's answer.

        A failure raises before anything is pushed: ``Offline`` keeps the reply queued for the
        next try; a refusal (too large, unreadable) is a ``ServerError`` the engine turns into
        a rejection the agent sees, with the reply's text kept.
        """
        refs = mutation.get("args", {}).get("attachments")
        if not isinstance(refs, list) or not any(
            isinstance(r, dict) and "local" in r for r in refs
        ):
            return mutation
        sent: list[dict[str, Any]] = []
        for ref in refs:
            ref = dict(ref)
            local = ref.pop("local", None)
            sha = str(ref.get("sha256") or "")
            if local and not self._recently_uploaded(sha):
                name = str(ref.get("filename") or "file")
                try:
                    answer = self.upload_attachment(
                        Path(local), name, str(ref.get("content_type") or ""), sha or None
                    )
                except Offline as exc:
                    raise Offline(
                        _("Uploading {name} failed: {problem}").format(
                            name=repr(name), problem=exc.message
                        )
                    ) from exc
                if sha and answer.get("sha256") != sha:
                    raise ServerError(
                        0,
                        "invalid_request",
                        _("The server stored {name} differently.").format(name=repr(name)),
                    )
                with self._uploaded_lock:
                    self._uploaded[sha] = time.monotonic()
                ref.update({k: answer[k] for k in ("sha256", "size") if k in answer})
            sent.append(ref)
        args = {**mutation["args"], "attachments": sent}
        return {"id": mutation["id"], "type": mutation["type"], "args": args}

    def snapshot(self, entity: Entity | str, ident: str) -> Snapshot | None:
        """The server's current version of one entity; None if it has never had it."""
        path = f"/entities/{quote(str(entity), safe='')}/{quote(ident, safe='')}"
        try:
            body = self._call("GET", path)
        except ServerError as exc:
            if exc.status == 404 and exc.code == "not_found":
                return None
            raise
        return Snapshot(
            Entity(body["entity"]),
            str(body["id"]),
            int(body["seq"]),
            bool(body["deleted"]),
            body.get("data"),
        )

    def presence(self, conversation_id: str | None, typing: bool = False) -> list[Viewer]:
        """Tell the server which conversation this agent has open (None: none) and whether
        they are typing; returns the other agents on it (the collision notice)."""
        body = self._call(
            "PUT", "/presence", json={"conversation_id": conversation_id, "typing": typing}
        )
        return [Viewer(str(v["user_id"]), str(v["display_name"]), bool(v["typing"])) for v in body]

    def whatsapp_templates(self, refresh: bool = False) -> dict[str, Any]:
        """The approved WhatsApp templates (``templates``, ``fetched_at``, ``problem``); with
        ``refresh`` the server asks Meta again. Its reach to Meta can take a while."""
        body = self._call(
            "GET",
            "/channels/whatsapp/templates",
            params={"refresh": "true" if refresh else "false"},
            read_timeout=self.timeout + 60,
        )
        return dict(body)

    def visitor_typing(self, conversation_id: str) -> bool:
        """Whether the chat visitor of ``conversation_id`` is typing right now."""
        body = self._call("GET", "/chat/typing", params={"conversation_id": conversation_id})
        return bool(body.get("visitor_typing"))

    def attachment(self, message_id: str, index: int) -> bytes:
        """The bytes of a message's attachment number ``index``."""
        path = f"/messages/{quote(message_id, safe='')}/attachments/{int(index)}"
        data: bytes = self._call("GET", path, raw=True, read_timeout=120)
        return data

    def qa_reviews(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Quality reviews the server lets this user read: an agent's own (newest first), a
        supervisor's or administrator's anyone's (docs/qa.md)."""
        params = {"conversation_id": conversation_id} if conversation_id else None
        body = self._call("GET", "/qa/reviews", params=params)
        reviews = body.get("reviews") if isinstance(body, dict) else None
        return [r for r in reviews if isinstance(r, dict)] if isinstance(reviews, list) else []

    def routing_dry_run(self, conditions: dict[str, Any], limit: int = 500) -> dict[str, Any]:
        """How many of the last ``limit`` conversations a rule's conditions would have matched
        (supervisors and administrators; docs/routing.md)."""
        body = self._call(
            "POST", "/routing/dry-run", json={"conditions": conditions, "limit": limit}
        )
        return body if isinstance(body, dict) else {}

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/healthz", prefix="", auth=False))

    # --- KPIs (the dashboard; docs/kpis.md) --------------------------------------------------

    def kpis(self, params: dict[str, str]) -> dict[str, Any]:
        """The KPI report (rows, total, daily series, first-response distribution) for
        ``params`` (period, from, to, tz, group, channel, team, agent). The server scopes it
        to the caller: an agent's own numbers, a supervisor's team."""
        # One report aggregates the whole period: allow for a slow, large one.
        return dict(self._call("GET", "/kpis", params=params, read_timeout=self.timeout + 60))

    def floor_messages(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The words of the messages to me among ``ids`` (the feed carries them blank)."""
        body = self._call("GET", "/floor/messages", params={"ids": ",".join(ids)})
        found = body.get("messages") if isinstance(body, dict) else None
        return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []

    def floor_status_time(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Seconds each agent spent in each status within ``[start, end)`` (aware times);
        supervisors and admins only (403 for an agent)."""
        params = {"start": start.isoformat(), "end": end.isoformat()}
        return dict(self._call("GET", "/floor/status-time", params=params))

    def kpi_definitions(self) -> dict[str, str]:
        """One sentence per published figure (the dashboard's tooltips)."""
        body = self._call("GET", "/kpis/definitions")
        return {str(k): str(v) for k, v in dict(body).items()}

    def kpi_conversations(self, params: dict[str, str]) -> dict[str, Any]:
        """One page of the conversation ids behind a figure (``metric``, ``key``, ``day``,
        ``page``, ``page_size`` plus the report's parameters)."""
        return dict(
            self._call("GET", "/kpis/conversations", params=params, read_timeout=self.timeout + 60)
        )

    def kpi_csv(self, path: str, params: dict[str, str]) -> bytes:
        """The server's CSV of a KPI table (``path`` "" or "/conversations"), as bytes."""
        if path not in ("", "/conversations"):
            raise ValueError(f"no KPI CSV at {path!r}")
        data: bytes = self._call(
            "GET",
            f"/kpis{path}",
            params={**params, "format": "csv"},
            raw=True,
            read_timeout=self.timeout + 60,
        )
        return data

    # --- the training review (issue 12; role-checked by the server) --------------------------

    def training(self, what: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """``GET /api/v1/training/<what>``: ``mine``, ``trainees``, ``results`` (with a
        ``user_id``), ``results/<id>``, ``assignments``. Raises SyncError (403 for a role
        that may not see it)."""
        path = "/training/" + "/".join(quote(p, safe="") for p in what.split("/"))
        return dict(self._call("GET", path, params=params))

    # --- translation (issue 13: a message or a reply draft; docs/languages.md) --------------

    def translate(
        self,
        target: str,
        *,
        message_id: str | None = None,
        text: str | None = None,
        source: str | None = None,
    ) -> dict[str, Any]:
        """``POST /translate``: a message (``message_id``; the server keeps the translation on
        it, every desk gets it through the feed) or a reply draft (``text``; nothing kept)
        into ``target``. The answer: ``text``, ``source``, ``target``, ``provider``,
        ``truncated``. Raises SyncError (``ServerError`` codes ``translation_*``)."""
        body: dict[str, Any] = {"target": target}
        if message_id is not None:
            body["message_id"] = message_id
        if text is not None:
            body["text"] = text
        if source:
            body["source"] = source
        # The server waits for the provider (up to 20 s by default): allow for it.
        answer = self._call("POST", "/translate", json=body, read_timeout=self.timeout + 30)
        return dict(answer) if isinstance(answer, dict) else {}

    # --- plumbing ---------------------------------------------------------------------------

    def _http(self) -> Transport:
        with self._transport_lock:
            if self._transport is None:
                from csdesk.sync.http import Transport

                self._transport = Transport(self.base_url)
            return self._transport

    @property
    def _adapter(self) -> TrackingAdapter:
        """The adapter holding this API's connections (tests look at their sockets)."""
        return self._http().adapter

    def abort(self) -> None:
        """Make every request in flight fail now (with ``Offline``); for a prompt stop."""
        with self._transport_lock:
            transport = self._transport
        if transport is not None:  # no request made yet: none in flight
            transport.adapter.abort()

    def close(self) -> None:
        with self._transport_lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        auth: bool = True,
        prefix: str = API_PREFIX,
        read_timeout: float | None = None,
        raw: bool = False,
        data: IO[bytes] | None = None,
        content_type: str | None = None,
    ) -> Any:
        """The decoded JSON answer (or, with ``raw``, the body's bytes); errors as SyncError.
        ``data`` is a raw request body (a file, streamed) of type ``content_type``."""
        headers = {"Accept": "*/*" if raw else "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        token = self.token
        if auth and token:
            headers["Authorization"] = f"Bearer {token}"
        response, body = self._http().request(
            method,
            f"{self.base_url}{prefix}{path}",
            params=params,
            json=json,
            data=data,
            headers=headers,
            timeout=(self.timeout, read_timeout or self.timeout),
            raw=raw,
        )
        if response.status_code == 204:
            return {}
        if raw and response.ok:
            return response.content
        if response.ok:
            if not isinstance(body, dict | list):
                raise ServerError(
                    response.status_code,
                    "bad_response",
                    _("The server at {url} sent an answer csdesk does not understand.").format(
                        url=self.base_url
                    ),
                )
            return body
        error = _error(response, body)
        if isinstance(error, SessionExpired):
            error.token = token
        raise error


def _error(response: Response, body: Any) -> SyncError:
    status = response.status_code
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return ServerError(
            status,
            f"http_{status}",
            _("The server answered with an error (HTTP {status} {reason}).").format(
                status=status, reason=response.reason
            ),
        )
    code = str(err.get("code", ""))
    english = str(err.get("message", "")) or f"HTTP {status}"
    # A server that sends the message's template and params gets it in the desk's language.
    message = localized(
        {"message": english, "template": err.get("template"), "params": err.get("params", {})}
    )
    details = err.get("details")
    if code == "wrong_credentials":
        return WrongCredentials(_("Wrong user name or password."))
    if status == 401:
        return SessionExpired(
            _("Your session has expired. Please sign in again.")
            if code == "token_expired"
            else _("You have been signed out. Please sign in again.")
        )
    if status == 429:
        retry = response.headers.get("Retry-After")
        if retry is None and isinstance(details, dict):
            retry = details.get("retry_after")
        try:
            seconds = max(0.0, float(retry)) if retry is not None else 30.0
        except ValueError:
            seconds = 30.0
        wait = int(seconds + 0.999)
        return Throttled(
            ngettext(
                "Too many failed sign-in attempts. Try again in {wait} second.",
                "Too many failed sign-in attempts. Try again in {wait} seconds.",
                wait,
            ).format(wait=wait)
            if code == "throttled"
            else ngettext(
                "The server is busy. csdesk will try again in {wait} second.",
                "The server is busy. csdesk will try again in {wait} seconds.",
                wait,
            ).format(wait=wait),
            seconds,
        )
    if code == "cursor_ahead":
        head = details.get("head") if isinstance(details, dict) else None
        return CursorAhead(
            _("The server's data was replaced; csdesk is downloading it again."),
            int(head) if isinstance(head, int) else None,
        )
    return ServerError(status, code, message, english)


def load_transport() -> None:
    """Import the HTTP transport (requests, urllib3) now, on this thread. The desk calls it on
    its GUI thread while idle, before it starts network work on a worker: a worker importing
    while the GUI thread imports as well could deadlock on the import locks."""
    import csdesk.sync.http  # noqa: F401
