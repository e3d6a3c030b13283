"""Telegram's Bot API as documented: ``POST /bot{token}/sendMessage`` (and sendPhoto).

The token in the path is the credential; a JSON body needs ``chat_id`` and ``text`` (or
``photo``).  Answers ``{"ok": true, "result": Message}`` or ``{"ok": false, "error_code",
"description"}`` (with ``parameters.retry_after`` on 429).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.helpers.fakes.base import Answer, FakeProvider, Recorded, Violation


class FakeTelegram(FakeProvider):
    name = "telegram"

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._n = itertools.count(100)

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
        if not req.path.startswith("/bot"):
            raise self._refuse(404, "Not Found")
        if not req.path.startswith(prefix):
            raise self._refuse(401, "Unauthorized")
        method = req.path[len(prefix) :]
        if method not in ("sendMessage", "sendPhoto"):
            raise self._refuse(404, "Not Found: method not found")
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
