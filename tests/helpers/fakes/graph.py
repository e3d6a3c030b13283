"""Meta's Graph API send endpoints as documented.

WhatsApp Cloud API: ``POST /{version}/{phone_number_id}/messages`` with a Bearer token and a
JSON body (messaging_product "whatsapp", ``to`` in digits, ``type`` "text" and ``text.body``);
answers ``{"messaging_product", "contacts", "messages": [{"id": "wamid..."}]}``.
Messenger/Instagram Send API: ``POST /{version}/me/messages`` with the page token, a
``recipient.id``, ``message.text`` and a ``messaging_type``; answers ``{"recipient_id",
"message_id"}``.  Errors are Graph's ``{"error": {"message", "type", "code", "fbtrace_id"}}``.
Message templates: ``GET /{version}/{waba_id}/message_templates?fields=...`` with the Bearer
token, answered in pages of ``{"data": [...], "paging": {"cursors": {...}, "next": url}}``; a
``type: template`` send must name an APPROVED template in its language and give exactly one
text parameter per body placeholder (Meta's error 132000 otherwise, 132001 for an unknown one).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlencode

from tests.helpers.fakes.base import (
    Answer,
    FakeProvider,
    Part,
    Recorded,
    Violation,
    fetch_public,
)

_VERSION = re.compile(r"^/v\d+\.\d+/")
_MESSAGING_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG"}
_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
_TEMPLATE_FIELDS = {"name", "language", "status", "category", "components"}
#: WhatsApp media message types and the MIME types each takes (documents: any).
_WA_MEDIA: dict[str, frozenset[str]] = {
    "image": frozenset({"image/jpeg", "image/png"}),
    "video": frozenset({"video/mp4", "video/3gpp"}),
    "audio": frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
    "document": frozenset(),
}
_FB_TYPES = {"image", "video", "audio", "file"}
_NO_PART = Part("", None, None, b"")


class FakeGraph(FakeProvider):
    name = "graph"

    def __init__(self, access_token: str, phone_number_id: str, page_token: str) -> None:
        super().__init__()
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.page_token = page_token
        #: The WhatsApp Business Account whose templates are listed; tests set both.
        self.waba_id = ""
        self.templates: list[dict[str, Any]] = []  # as Graph lists them, any status
        self.template_page_size = 2  # small, so a test's few templates span pages
        self._n = 0
        self.media: dict[str, tuple[bytes, str]] = {}  # WhatsApp media id -> (bytes, mime)
        self.cdn: dict[str, tuple[bytes, str]] = {}  # CDN path -> (bytes, content type)
        self.cdn_redirects: dict[str, str] = {}  # CDN path -> where it redirects
        #: WhatsApp media csdesk uploaded: id -> (file name, MIME type, bytes).
        self.uploaded: dict[str, tuple[str, str, bytes]] = {}
        #: Files fetched from Messenger/Instagram attachment URLs: (url, content type, bytes).
        self.fetched: list[tuple[str, str, bytes]] = []

    def add_media(self, data: bytes, mime_type: str) -> str:
        """Keep a WhatsApp media file; returns the media id a webhook carries."""
        media_id = str(900000000000000 + self._next())
        self.media[media_id] = (data, mime_type)
        return media_id

    def add_cdn_file(self, data: bytes, content_type: str, name: str) -> str:
        """Keep a Messenger/Instagram attachment; returns its ``payload.url``."""
        path = f"/v/t1.15752-9/{self._next()}_{name}"
        self.cdn[path] = (data, content_type)
        return f"{self.url}{path}?_nc_cat=1&oh=00_sig{self._n}&oe=6600AA00"

    def add_cdn_redirect(self, location: str) -> str:
        """A Messenger attachment URL on the CDN that answers a redirect to ``location``."""
        path = f"/v/t1.15752-9/{self._next()}_moved"
        self.cdn_redirects[path] = location
        return f"{self.url}{path}?_nc_cat=1&oh=00_sig{self._n}&oe=6600AA00"

    def _get(self, req: Recorded) -> Answer:
        if req.path in self.cdn_redirects:
            return Answer(302, None, {"Location": self.cdn_redirects[req.path]}, raw=b"")
        if req.path in self.cdn:
            if "oh=" not in req.query or "oe=" not in req.query:
                raise self._refuse(403, "URL signature mismatch")
            data, ctype = self.cdn[req.path]
            return Answer(200, None, raw=data, content_type=ctype)
        if req.headers.get("authorization") != f"Bearer {self.access_token}":
            raise self._refuse(401, "Invalid OAuth access token - Cannot parse access token")
        if req.path == "/whatsapp_business/attachments/":
            mid = (parse_qs(req.query).get("mid") or [""])[0]
            if mid not in self.media:
                raise self._refuse(404, "media not found")
            data, mime = self.media[mid]
            return Answer(200, None, raw=data, content_type=mime)
        media_id = _VERSION.sub("", req.path)
        if not _VERSION.match(req.path) or media_id not in self.media:
            raise self._refuse(400, f"Unsupported get request. Object {media_id} does not exist")
        data, mime = self.media[media_id]
        return Answer(
            200,
            {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/whatsapp_business/attachments/?mid={media_id}&ext=1",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": media_id,
            },
        )

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
        if (
            req.method == "GET"
            and self.waba_id
            and _VERSION.sub("", req.path) == f"{self.waba_id}/message_templates"
        ):
            return self._list_templates(req)
        if req.method == "GET":
            return self._get(req)
        if req.method != "POST" or not _VERSION.match(req.path):
            raise self._refuse(400, f"Unknown path components: {req.path}")
        tail = _VERSION.sub("", req.path)
        if tail == f"{self.phone_number_id}/media":
            return self._media_upload(req)
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
        if data.get("type") == "template":
            self._check_template(data)
            return self._accepted(to)
        if data.get("type") in _WA_MEDIA:
            self._check_wa_media(data)
            return self._accepted(to)
        if data.get("type") != "text":
            raise self._refuse(400, "(#100) only text and template are supported by this fake")
        text = data.get("text")
        if not isinstance(text, dict) or not str(text.get("body", "")).strip():
            raise self._refuse(400, "(#100) The parameter text['body'] is required.")
        if len(text["body"]) > 4096:
            raise self._refuse(400, "(#100) text['body'] is longer than 4096 characters")
        return self._accepted(to)

    def _accepted(self, to: str) -> Answer:
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
        if isinstance(message, dict) and "attachment" in message:
            self._check_attachment(message)
            return Answer(
                200, {"recipient_id": recipient["id"], "message_id": f"m_FAKE{self._next():08d}"}
            )
        if not isinstance(message, dict) or not str(message.get("text", "")).strip():
            raise self._refuse(400, "(#100) The parameter message is required")
        if len(message["text"]) > 2000:
            raise self._refuse(400, "(#100) message text is longer than 2000 characters")
        return Answer(
            200, {"recipient_id": recipient["id"], "message_id": f"m_FAKE{self._next():08d}"}
        )

    # --- files csdesk sends -----------------------------------------------------------------

    def _media_upload(self, req: Recorded) -> Answer:
        """``POST /{phone_number_id}/media`` as documented: multipart with
        ``messaging_product=whatsapp``, ``type`` (the MIME type) and the ``file``."""
        if req.headers.get("authorization") != f"Bearer {self.access_token}":
            raise self._refuse(401, "Invalid OAuth access token - Cannot parse access token")
        parts = req.multipart()
        if parts is None:
            raise self._refuse(400, "(#100) media uploads must be multipart/form-data")
        fields = {p.name: p for p in parts}
        if fields.get("messaging_product", _NO_PART).data != b"whatsapp":
            raise self._refuse(400, "(#100) The parameter messaging_product is required.")
        file = fields.get("file")
        if file is None or not file.filename or not file.data or not file.content_type:
            raise self._refuse(400, "(#100) The parameter file is required.")
        declared = fields.get("type", _NO_PART).data.decode()
        if declared != file.content_type:
            raise self._refuse(
                400, f"(#100) type {declared!r} is not the file's {file.content_type}"
            )
        media_id = self.add_media(file.data, file.content_type)
        with self._cond:
            self.uploaded[media_id] = (file.filename, file.content_type, file.data)
        return Answer(200, {"id": media_id})

    def _check_wa_media(self, data: dict[str, Any]) -> None:
        kind = str(data["type"])
        media = data.get(kind)
        if not isinstance(media, dict) or ("id" in media) == ("link" in media):
            raise self._refuse(400, f"(#100) {kind} needs exactly one of 'id' and 'link'")
        if "id" in media and media["id"] not in self.uploaded:
            raise self._refuse(400, f"(#131053) media id {media['id']!r} was not uploaded")
        allowed = {"id", "link", "caption", "filename"} if kind == "document" else {"id", "link"}
        if kind in ("image", "video"):
            allowed.add("caption")
        if set(media) - allowed:
            raise self._refuse(400, f"(#100) unexpected {sorted(set(media) - allowed)} in {kind}")
        if len(str(media.get("caption", ""))) > 1024:
            raise self._refuse(400, "(#100) caption is longer than 1024 characters")
        if "id" in media:
            mime = self.uploaded[media["id"]][1]
            if kind != "document" and mime not in _WA_MEDIA[kind]:
                raise self._refuse(400, f"(#131053) {mime} cannot be sent as {kind}")

    def _check_attachment(self, message: dict[str, Any]) -> None:
        """Send API: ``message.attachment`` = ``{"type", "payload": {"url", "is_reusable"?}}``;
        Meta downloads ``url`` itself, without our credentials."""
        if "text" in message:
            raise self._refuse(400, "(#100) a message has text or an attachment, not both")
        attachment = message["attachment"]
        if not isinstance(attachment, dict) or attachment.get("type") not in _FB_TYPES:
            raise self._refuse(400, "(#100) attachment.type must be image, video, audio or file")
        payload = attachment.get("payload")
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise self._refuse(400, "(#100) attachment.payload.url must be an absolute URL")
        status, ctype, body = fetch_public(url)
        if status != 200 or not body:
            raise self._refuse(400, f"(#100) Failed to fetch the file from the url ({status})")
        if attachment["type"] == "image" and not ctype.startswith("image/"):
            raise self._refuse(400, f"(#100) the url is {ctype}, not an image")
        with self._cond:
            self.fetched.append((url, ctype, body))

    # --- message templates -----------------------------------------------------------------

    def _list_templates(self, req: Recorded) -> Answer:
        if req.headers.get("authorization") != f"Bearer {self.access_token}":
            raise self._refuse(401, "Invalid OAuth access token - Cannot parse access token")
        query = {k: v[-1] for k, v in parse_qs(req.query).items()}
        fields = set(query.get("fields", "").split(","))
        if not fields >= _TEMPLATE_FIELDS:
            raise self._refuse(400, f"(#100) fields must name {sorted(_TEMPLATE_FIELDS)}")
        start = int(query.get("after") or 0)
        size = self.template_page_size
        page = self.templates[start : start + size]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + size)}}
        if start + size < len(self.templates):
            more = urlencode({**query, "after": str(start + size)})
            paging["next"] = f"{self.url}{req.path}?{more}"
        return Answer(200, {"data": page, "paging": paging})

    def _template_error(self, status: int, code: int, message: str, why: str) -> Violation:
        body = {"error": {"message": message, "type": "OAuthException", "code": code}}
        return Violation(Answer(status, body), why)

    def _check_template(self, data: dict[str, Any]) -> None:
        tpl = data.get("template")
        if not isinstance(tpl, dict) or not isinstance(tpl.get("name"), str):
            raise self._refuse(400, "(#100) The parameter template['name'] is required.")
        language = tpl.get("language")
        code = language.get("code") if isinstance(language, dict) else None
        if not isinstance(code, str) or not code:
            raise self._refuse(400, "(#100) template['language']['code'] is required.")
        known = [
            t for t in self.templates if t.get("name") == tpl["name"] and t.get("language") == code
        ]
        if not known or known[0].get("status") != "APPROVED":
            raise self._template_error(
                404,
                132001,
                "(#132001) Template name does not exist in the translation",
                f"template {tpl['name']!r} ({code}) is not an approved template",
            )
        components: list[dict[str, Any]] = known[0].get("components", [])
        body = next((c for c in components if c.get("type") == "BODY"), {})
        wanted = max((int(n) for n in _PLACEHOLDER.findall(body.get("text", ""))), default=0)
        given: list[Any] = []
        for comp in tpl.get("components", []):
            if not isinstance(comp, dict) or comp.get("type") != "body":
                raise self._refuse(400, "(#100) this fake only knows body components")
            given += comp.get("parameters", [])
        filled = all(
            isinstance(p, dict) and p.get("type") == "text" and str(p.get("text", "")).strip()
            for p in given
        )
        if len(given) != wanted or not filled:
            raise self._template_error(
                400,
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
                f"template {tpl['name']!r} wants {wanted} text parameters, got {given!r}",
            )
