"""Agents' files going out: the upload an outgoing reply refers to, and the signed public link
a provider fetches it through.

``POST /api/v1/attachments?filename=…`` takes the file's bytes as the raw request body (its
``Content-Type`` is the file's type), stores them content-addressed and answers the reference a
``message.send`` carries: ``{"sha256", "size", "content_type", "filename"}``.  A raw body rather
than multipart: nothing to parse, and the desk can stream the file from disk.  Uploading the
same file twice is harmless (same SHA-256, stored once), so a desk that lost the answer simply
uploads again.

Each upload is recorded for its uploader and realm (``records``): a reply may carry only its
author's uploads, and the unused ones count against a per-user quota
(``ServerConfig.upload_quota_bytes``; over it: 413 ``quota_exceeded``, nothing stored).

``GET /public/attachments/{token}/{name}`` serves a file to whoever holds a link signed by
``links.sign``: no Authorization header, because Twilio and Meta fetch media anonymously.
"""

from __future__ import annotations

import re
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from csdesk.domain.attachment_limits import MAX_UPLOAD_BYTES, human_size
from csdesk.protocol import API_PREFIX
from csdesk.server.attachments import links, records
from csdesk.server.deps import CurrentUser, State, realm_of
from csdesk.server.errors import ApiError
from csdesk.server.state import ServerState

UPLOAD_PATH: Final = f"{API_PREFIX}/attachments"
router = APIRouter(tags=["attachments"])

_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,128}$")
#: Control characters (C0 and C1), line and paragraph separators, path separators; and the
#: bidirectional controls, with which "invoice<U+202E>fdp.exe" shows as "invoiceexe.pdf"
#: wherever the name is displayed.
_UNSAFE_NAME = re.compile(
    r"[\x00-\x1f\x7f-\x9f/\\\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_SHA = r"^[0-9a-f]{64}$"


def clean_filename(raw: str) -> str:
    """The name as the customer will see it: no directories, no control characters, nothing
    that turns the text's direction."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    return name[:200]


def content_type_of(header: str | None) -> str:
    """The bare media type (``text/plain; charset=…`` -> ``text/plain``), lower-cased."""
    value = (header or "").split(";", 1)[0].strip().lower()
    return value if _CONTENT_TYPE.match(value) else "application/octet-stream"


@router.post(
    UPLOAD_PATH,
    status_code=201,
    responses={
        201: {"description": "stored; the reference for message.send"},
        400: {},
        401: {},
        413: {},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload(
    request: Request,
    state: State,
    user: CurrentUser,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    sha256: Annotated[str | None, Query(pattern=_SHA)] = None,
) -> JSONResponse:
    """Store one file for an outgoing reply; ``sha256`` (optional) is checked against the
    bytes received, so a file damaged on the way is refused rather than sent to a customer.
    Any signed-in user may upload; the file is theirs, in their realm (see ``records``)."""
    name = clean_filename(filename)
    if not name:
        raise ApiError(400, "invalid_request", "the file name is empty once cleaned")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_large()
    # Written to disk as it arrives: a 50 MB upload must not cost 100 MB of memory (it did:
    # the pieces and then their join), or a few parallel uploads exhaust the server.
    incoming = await run_in_threadpool(state.attachments.incoming)
    try:
        async for chunk in request.stream():
            if incoming.size + len(chunk) > MAX_UPLOAD_BYTES:
                raise _too_large()
            if chunk:
                await run_in_threadpool(incoming.write, chunk)
        size, digest = incoming.size, incoming.sha256
        if size == 0:
            raise ApiError(400, "invalid_request", "the file {name} is empty", name=repr(name))
        if sha256 is not None and sha256 != digest:
            raise ApiError(
                400,
                "checksum_mismatch",
                "the file {name} arrived damaged (its SHA-256 does not match); send it again",
                name=repr(name),
            )
        # The record first, then the file: a sweep never sees the file without its record.
        await run_in_threadpool(_record, state, user.id, realm_of(user), digest, size)
        stored = await run_in_threadpool(incoming.keep)
    finally:
        await run_in_threadpool(incoming.discard)
    body = {
        "sha256": stored,
        "size": size,
        "content_type": content_type_of(request.headers.get("content-type")),
        "filename": name,
    }
    return JSONResponse(body, status_code=201)


def _record(state: ServerState, user_id: str, realm: str, sha256: str, size: int) -> None:
    quota = state.config.upload_quota_bytes
    try:
        with state.writes() as s:
            records.record(s, user_id, realm, sha256, size, quota)
            s.commit()
    except records.QuotaExceeded as exc:
        hours = max(1, round(state.config.upload_grace_seconds / 3600))
        details = {"quota_bytes": exc.quota, "used_bytes": exc.used, "size": exc.size}
        shown, allowance = human_size(exc.size), human_size(exc.quota)
        if exc.size > exc.quota:
            raise ApiError(
                413,
                "quota_exceeded",
                "this file ({size}) is larger than your whole upload allowance ({quota})",
                details,
                size=shown,
                quota=allowance,
            ) from None
        raise ApiError(
            413,
            "quota_exceeded",
            "files you uploaded but have not sent yet take {used} of your {quota} upload "
            "allowance, so this file ({size}) does not fit; send the replies that carry them, "
            "or wait: unsent files are cleared after {hours} hours",
            details,
            used=human_size(exc.used),
            quota=allowance,
            size=shown,
            hours=hours,
        ) from None


def _too_large() -> ApiError:
    return ApiError(
        413,
        "too_large",
        "the file is larger than this server accepts ({limit})",
        {"max_bytes": MAX_UPLOAD_BYTES},
        limit=human_size(MAX_UPLOAD_BYTES),
    )


@router.get(
    links.PUBLIC_PREFIX + "/{token}/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 404: {}},
    include_in_schema=False,
)
def public_file(
    token: Annotated[str, Path(min_length=10, max_length=2000)],
    name: Annotated[str, Path(max_length=400)],
    state: State,
) -> FileResponse:
    del name  # cosmetic: the signed token names the file
    target = links.verify(links.link_key(state.config.data_dir), token)
    if target is None:
        raise ApiError(404, "not_found", "this link is not valid or has expired")
    path = state.attachments.path(target.sha256)
    if path is None:
        raise ApiError(404, "not_found", "this file is no longer stored")
    return FileResponse(
        path,
        media_type=target.content_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(target.filename)}",
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            # An agent's HTML or SVG file must never run as a page of this server.
            "Content-Security-Policy": "sandbox",
        },
    )
