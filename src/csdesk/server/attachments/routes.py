"""``GET /api/v1/messages/{id}/attachments/{n}``: an attachment's bytes, for agents who may
read the message (same realm rules as the feed)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from csdesk.protocol import API_PREFIX
from csdesk.server.deps import CurrentUser, State, realm_of
from csdesk.server.errors import ApiError
from csdesk.storage import models as m

router = APIRouter(prefix=API_PREFIX, tags=["attachments"])
MessageId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]


@router.get(
    "/messages/{message_id}/attachments/{index}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 401: {}, 404: {}},
)
def download(
    message_id: MessageId,
    index: Annotated[int, Path(ge=0, le=999)],
    state: State,
    user: CurrentUser,
) -> FileResponse:
    with state.reads() as s:
        msg = s.get(m.Message, message_id)
        if msg is None or msg.realm != realm_of(user):
            raise ApiError(404, "not_found", "no message with id {id}", id=repr(message_id))
        attachments = list(msg.attachments or [])
    if index >= len(attachments):
        raise ApiError(
            404, "not_found", "the message has no attachment number {index}", index=index
        )
    meta = attachments[index]
    sha = meta.get("sha256")
    path = state.attachments.path(sha) if isinstance(sha, str) else None
    if path is None:
        raise ApiError(
            404,
            "not_stored",
            "this attachment's content is not on the server (over the size limit, "
            "or only a provider reference was received)",
        )
    name = str(meta.get("filename") or f"attachment-{index}")
    return FileResponse(
        path,
        media_type=str(meta.get("content_type") or "application/octet-stream"),
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
