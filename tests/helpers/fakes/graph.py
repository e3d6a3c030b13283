"""Meta's Graph API send endpoints as documented.

WhatsApp Cloud API: ``POST /{version}/{phone_number_id}/messages`` with a Bearer token and a
JSON body (messaging_product "whatsapp", ``to`` in digits, ``type`` "text" and ``text.body``);
answers ``{"messaging_product", "contacts", "messages": [{"id": "wamid..."}]}``.
Messenger/Instagram Send API: ``POST /{version}/me/messages`` with the page token, a
``recipient.id``, ``message.text`` and a ``messaging_type``; answers ``{"recipient_id",
"message_id"}``.  Errors are Graph's ``{"error": {"message", "type", "code", "fbtrace_id"}}``.
"""

from __future__ import annotations

import re
from typing import Any

from tests.helpers.fakes.base import Answer, FakeProvider, Recorded, Violation

_VERSION = re.compile(r"^/v\d+\.\d+/")
_MESSAGING_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG"}


class FakeGraph(FakeProvider):
    name = "graph"

    def __init__(self, access_token: str, phone_number_id: str, page_token: str) -> None:
        super().__init__()
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.page_token = page_token
        self._n = 0

    def upcoming_whatsapp_id(self) -> str:
        """The message id the next successful WhatsApp send will be given."""
        return f"wamid.FAKE{self._n + 1:08d}"

    def _next(self) -> int:
        self._n += 1
        return self._n

    def error(self, status: int, message: str) -> Answer:
        code = {400: 100, 401: 190, 429: 130429, 500: 2}.get(status, 1)
        kind = "OAuthException" if status in (400, 401) else "GraphMethodException"
        body: dict[str, Any] = {
            "error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf"}
        }
        if status >= 500:
            body["error"]["is_transient"] = True
        return Answer(status, body)

    def _refuse(self, status: int, why: str) -> Violation:
        return Violation(self.error(status, why), why)

    def _json(self, req: Recorded, token: str) -> dict[str, Any]:
        if req.headers.get("authorization") != f"Bearer {token}":
            raise self._refuse(401, "Invalid OAuth access token - Cannot parse access token")
        if not req.headers.get("content-type", "").startswith("application/json"):
            raise self._refuse(400, "Content-Type must be application/json")
        try:
            data = req.json()
        except ValueError:
            raise self._refuse(400, "(#100) The parameter body is not valid JSON") from None
        if not isinstance(data, dict):
            raise self._refuse(400, "(#100) body must be an object")
        return data

    def handle(self, req: Recorded) -> Answer:
        if req.method != "POST" or not _VERSION.match(req.path):
            raise self._refuse(400, f"Unknown path components: {req.path}")
        tail = _VERSION.sub("", req.path)
        if tail == f"{self.phone_number_id}/messages":
            return self._whatsapp(self._json(req, self.access_token))
        if tail == "me/messages":
            return self._messenger(self._json(req, self.page_token))
        raise self._refuse(400, f"Unsupported post request. Object {tail} does not exist")

    def _whatsapp(self, data: dict[str, Any]) -> Answer:
        if data.get("messaging_product") != "whatsapp":
            raise self._refuse(400, "(#100) The parameter messaging_product is required.")
        to = str(data.get("to", ""))
        if not to.isdigit():
            raise self._refuse(400, "(#100) Invalid parameter 'to' (digits only, no '+')")
        if data.get("type") != "text":
            raise self._refuse(400, "(#100) only text is supported by this fake")
        text = data.get("text")
        if not isinstance(text, dict) or not str(text.get("body", "")).strip():
            raise self._refuse(400, "(#100) The parameter text['body'] is required.")
        if len(text["body"]) > 4096:
            raise self._refuse(400, "(#100) text['body'] is longer than 4096 characters")
        wamid = f"wamid.FAKE{self._next():08d}"
        return Answer(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            },
        )

    def _messenger(self, data: dict[str, Any]) -> Answer:
        recipient = data.get("recipient")
        if not isinstance(recipient, dict) or not recipient.get("id"):
            raise self._refuse(400, "(#100) The parameter recipient is required")
        if data.get("messaging_type") not in _MESSAGING_TYPES:
            raise self._refuse(400, "(#100) messaging_type must be RESPONSE, UPDATE or a tag")
        if data.get("messaging_type") == "MESSAGE_TAG" and data.get("tag") != "HUMAN_AGENT":
            raise self._refuse(400, "(#100) this fake only knows the HUMAN_AGENT tag")
        message = data.get("message")
        if not isinstance(message, dict) or not str(message.get("text", "")).strip():
            raise self._refuse(400, "(#100) The parameter message is required")
        if len(message["text"]) > 2000:
            raise self._refuse(400, "(#100) message text is longer than 2000 characters")
        return Answer(
            200, {"recipient_id": recipient["id"], "message_id": f"m_FAKE{self._next():08d}"}
        )
