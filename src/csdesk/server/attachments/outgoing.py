"""Files on an agent's reply: checking the references a ``message.send`` carries, and reading
the files back when the reply is sent.

The desk uploads each file before it pushes the reply (``upload.py``); the mutation then only
names them.  ``resolve`` refuses a reference to a file this server does not hold, or one the
channel cannot carry, *before* the message exists: a reply is never queued with a hole in it.
The message row gets the same ``attachments`` shape inbound messages have, so the desk lists
and opens them through the same download route.

``Reject`` lives in ``server.sync.mutations``, which imports this module: it is imported when a
reference is refused rather than at import time (which would be circular).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from csdesk.domain import attachment_limits as limits
from csdesk.protocol import RejectCode
from csdesk.server.attachments import links, records
from csdesk.server.attachments.upload import clean_filename
from csdesk.server.refusals import Param

if TYPE_CHECKING:
    from csdesk.server.state import ServerState
    from csdesk.server.sync.mutations import Reject

MAX_FILES: Final = limits.MAX_FILES


class AttachmentRef(BaseModel):
    """What ``POST /api/v1/attachments`` answered, as the desk passes it on."""

    model_config = ConfigDict(extra="ignore", strict=False)

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(
        default="application/octet-stream",
        max_length=200,
        pattern=r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$",
    )
    size: int = Field(default=0, ge=0)


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def resolve(
    session: Session,
    channel: str,
    refs: list[AttachmentRef],
    *,
    note: bool,
    user_id: str,
    realm: str,
) -> list[dict[str, Any]]:
    """The message row's ``attachments`` for ``refs`` on a reply by ``user_id`` in ``realm``;
    ``Reject`` if one cannot be used: not on the server, or not the author's to attach (they
    did not upload it in this realm and no message they can read carries it)."""
    if not refs:
        return []
    state = links.state_of(session)
    if state is None:
        raise _reject(
            RejectCode.INVALID, "This server cannot take files on replies (no file store)."
        )
    out: list[dict[str, Any]] = []
    infos: list[limits.FileInfo] = []
    for ref in refs:
        name = clean_filename(ref.filename)  # the desk's name reaches MIME headers and APIs
        if not name:
            raise _reject(
                RejectCode.INVALID,
                "The file name {name} cannot be used; rename the file.",
                name=repr(ref.filename),
            )
        path = state.attachments.path(ref.sha256)
        if path is None:
            raise _reject(
                RejectCode.INVALID,
                "The file {name} is not on the server; the desk will upload it again.",
                name=repr(ref.filename),
            )
        if not records.use(session, user_id, realm, ref.sha256):
            raise _reject(
                RejectCode.INVALID,
                "The file {name} is not among your uploads; attach it again.",
                name=repr(ref.filename),
            )
        size = path.stat().st_size  # the stored truth, not what the desk said
        infos.append(limits.FileInfo(name, size, ref.content_type))
        out.append(
            {
                "sha256": ref.sha256,
                "filename": name,
                "content_type": ref.content_type.lower(),
                "size": size,
                "provider_file_id": None,
                "inline": False,
                "content_id": None,
            }
        )
    refusal = limits.check(channel, infos, note=note)
    if refusal is not None:
        raise describe(refusal, channel)
    return out


def describe(refusal: limits.Refusal, channel: str) -> Reject:
    """The refusal as a sentence for the agent (the desk says the same in its own words)."""
    p = limits.Problem
    bad = RejectCode.INVALID
    if refusal.problem == p.NO_FILES_HERE:
        return _reject(bad, "Files cannot be sent on {channel}.", channel=channel)
    if refusal.problem == p.TOO_MANY:
        return _reject(
            bad,
            "At most {limit} files can be sent on {channel}.",
            limit=refusal.limit,
            channel=channel,
        )
    if refusal.problem == p.EMPTY:
        return _reject(bad, "The file {name} is empty.", name=repr(refusal.name))
    size = limits.human_size(refusal.limit)
    if refusal.problem == p.TOTAL_TOO_BIG:
        return _reject(
            bad,
            "All files together may be at most {size} on {channel}.",
            size=size,
            channel=channel,
        )
    return _reject(
        bad,
        "The file {name} is over the {size} {channel} allows.",
        name=repr(refusal.name),
        size=size,
        channel=channel,
    )


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """One file of a queued reply, ready for a provider: bytes on demand, or a public link."""

    filename: str
    content_type: str
    size: int
    path: Path
    sha256: str
    state: ServerState

    @property
    def is_image(self) -> bool:
        return limits.is_image(self.content_type)

    def read(self) -> bytes:
        return self.path.read_bytes()

    def public_url(self) -> str:
        return links.public_link(
            self.state,
            {"sha256": self.sha256, "content_type": self.content_type, "filename": self.filename},
        )


class MissingFile(Exception):
    """A reply's file is gone from the store: the reply cannot be sent as written."""


def files_of(session: Session, attachments: list[dict[str, Any]] | None) -> list[OutgoingFile]:
    """The stored files of an outgoing message; ``MissingFile`` if one is not here."""
    metas = [a for a in attachments or [] if isinstance(a, dict)]
    if not metas:
        return []
    state = links.state_of(session)
    if state is None:
        raise MissingFile("the server's file store is not available to the sender")
    out: list[OutgoingFile] = []
    for meta in metas:
        sha = meta.get("sha256")
        path = state.attachments.path(sha) if isinstance(sha, str) else None
        name = str(meta.get("filename") or "file")
        if path is None:
            raise MissingFile(f"the file {name!r} is no longer stored on the server")
        out.append(
            OutgoingFile(
                filename=name,
                content_type=str(meta.get("content_type") or "application/octet-stream"),
                size=int(meta.get("size") or path.stat().st_size),
                path=path,
                sha256=str(sha),
                state=state,
            )
        )
    return out
