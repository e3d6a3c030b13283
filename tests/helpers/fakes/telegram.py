"""Telegram's Bot API as documented: ``POST /bot{token}/sendMessage`` (and sendPhoto).

The token in the path is the credential; a JSON body needs ``chat_id`` and ``text`` (or
``photo``).  Answers ``{"ok": true, "result": Message}`` or ``{"ok": false, "error_code",
"description"}`` (with ``parameters.retry_after`` on 429).

Files customers send (``add_file``): ``getFile?file_id=...`` answers ``{"ok": true, "result":
{"file_id", "file_unique_id", "file_size", "file_path"}}`` and the bytes are at
``/file/bot{token}/{file_path}``; a wrong token there is a 404, as on the real server.
"""

from __future__ import annotations

import itertools
import time
from typing import Any
from urllib.parse import parse_qs

from tests.helpers.fakes.base import Answer, FakeProvider, Part, Recorded, Violation


class FakeTelegram(FakeProvider):
    name = "telegram"

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._n = itertools.count(100)
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        #: Files csdesk uploaded: (method, file name, content type, bytes).
        self.uploaded: list[tuple[str, str, str, bytes]] = []

    def add_file(self, data: bytes, file_path: str) -> str:
        """Keep a file a customer sent; returns the file_id an update carries."""
        file_id = f"AgACAgIAAxkBAAI{next(self._n)}"
        self.files[file_id] = (file_path, data)
        return file_id

    def _get_file(self, req: Recorded) -> Answer:
        file_id = (parse_qs(req.query).get("file_id") or [""])[0]
        if file_id not in self.files:
            raise self._refuse(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        result = {
            "file_id": file_id,
            "file_unique_id": file_id[-8:],
            "file_size": len(data),
            "file_path": path,
        }
        return Answer(200, {"ok": True, "result": result})

    def _download(self, req: Recorded) -> Answer:
        prefix = f"/file/bot{self.token}/"
        if not req.path.startswith(prefix):
            raise self._refuse(404, "Not Found")
        wanted = req.path[len(prefix) :]
        for path, data in self.files.values():
            if path == wanted:
                return Answer(200, None, raw=data, content_type="application/octet-stream")
        raise self._refuse(404, "Not Found")

    def _upload(self, method: str, parts: list[Part]) -> Answer:
        """sendPhoto/sendDocument with the file itself ("Sending files", multipart/form-data):
        a ``chat_id`` field, the file in the ``photo``/``document`` field with a file name,
        an optional ``caption`` of at most 1024 characters; photos at most 10 MB."""
        field = "photo" if method == "sendPhoto" else "document"
        fields = {p.name: p for p in parts}
        if len(fields) != len(parts):
            raise self._refuse(400, "Bad Request: a field is repeated")
        chat = fields.get("chat_id")
        chat_id = chat.data.decode() if chat is not None and chat.filename is None else ""
        if not chat_id.lstrip("-").isdigit():
            raise self._refuse(400, "Bad Request: chat_id is empty")
        file = fields.get(field)
        if file is None or not file.filename or not file.data:
            raise self._refuse(400, f"Bad Request: there is no {field} in the request")
        if field == "photo" and len(file.data) > 10 * 1024 * 1024:
            raise self._refuse(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        caption = fields.get("caption")
        if caption is not None and len(caption.data.decode()) > 1024:
            raise self._refuse(400, "Bad Request: message caption is too long")
        unknown = set(fields) - {"chat_id", field, "caption"}
        if unknown:
            raise self._refuse(400, f"Bad Request: this fake does not know {sorted(unknown)}")
        with self._cond:
            self.uploaded.append((method, file.filename, file.content_type or "", file.data))
        content: dict[str, Any] = (
            {"photo": [{"file_id": f"photo{len(self.uploaded)}", "width": 1, "height": 1}]}
            if field == "photo"
            else {"document": {"file_id": f"doc{len(self.uploaded)}", "file_name": file.filename}}
        )
        if caption is not None:
            content["caption"] = caption.data.decode()
        result = {
            "message_id": next(self._n),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private"},
            "from": {"id": 1, "is_bot": True, "first_name": "Shop"},
            **content,
        }
        return Answer(200, {"ok": True, "result": result})

    def error(self, status: int, message: str) -> Answer:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": message}
        if status == 429:
            body["description"] = "Too Many Requests: retry after 1"
            body["parameters"] = {"retry_after": 1}
        return Answer(status, body)

    def _refuse(self, status: int, why: str) -> Violation:
        return Violation(self.error(status, why), why)

    def handle(self, req: Recorded) -> Answer:
        prefix = f"/bot{self.token}/"
        if req.path.startswith("/file/"):
            return self._download(req)
        if req.path.startswith("/bot") and req.path.endswith("/getFile"):
            if not req.path.startswith(prefix):
                raise self._refuse(401, "Unauthorized")
            return self._get_file(req)
        if not req.path.startswith("/bot"):
            raise self._refuse(404, "Not Found")
        if not req.path.startswith(prefix):
            raise self._refuse(401, "Unauthorized")
        method = req.path[len(prefix) :]
        if method not in ("sendMessage", "sendPhoto", "sendDocument"):
            raise self._refuse(404, "Not Found: method not found")
        parts = req.multipart()
        if parts is not None and method in ("sendPhoto", "sendDocument"):
            return self._upload(method, parts)
        if not req.headers.get("content-type", "").startswith("application/json"):
            raise self._refuse(400, "Bad Request: this fake expects JSON bodies")
        try:
            data = req.json()
        except ValueError:
            raise self._refuse(400, "Bad Request: body is not JSON") from None
        chat_id = data.get("chat_id") if isinstance(data, dict) else None
        if not isinstance(chat_id, int | str) or isinstance(chat_id, bool) or chat_id == "":
            raise self._refuse(400, "Bad Request: chat_id is empty")
        if method == "sendMessage":
            text = data.get("text")
            if not isinstance(text, str) or not text.strip():
                raise self._refuse(400, "Bad Request: message text is empty")
            if len(text) > 4096:
                raise self._refuse(400, "Bad Request: message is too long")
            if "parse_mode" in data:
                raise self._refuse(400, "Bad Request: csdesk must send plain text")
            content: dict[str, Any] = {"text": text}
        else:
            if not data.get("photo"):
                raise self._refuse(400, "Bad Request: there is no photo in the request")
            content = {"photo": [{"file_id": data["photo"], "width": 1, "height": 1}]}
        result = {
            "message_id": next(self._n),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private"},
            "from": {"id": 1, "is_bot": True, "first_name": "Shop"},
            **content,
        }
        return Answer(200, {"ok": True, "result": result})
