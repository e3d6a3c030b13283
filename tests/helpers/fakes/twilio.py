"""Twilio's Messages API as documented: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``.

Checks HTTP Basic auth (AccountSid:AuthToken), the form encoding, To, exactly one of From and
MessagingServiceSid, a Body or MediaUrl, and Body length; answers 201 with a Message resource
(status "queued") or Twilio's error object ``{"code", "message", "more_info", "status"}``.

Inbound media (``add_media``): ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{MM}/Media/{ME}``
with the same Basic auth (accounts with "HTTP basic authentication for media" on, the safe
setting) answers a redirect to the file on a CDN path, as Twilio redirects to its storage.
"""

from __future__ import annotations

import base64
import itertools
import re
from datetime import UTC, datetime

from tests.helpers.fakes.base import Answer, FakeProvider, Recorded, Violation, fetch_public

_E164 = re.compile(r"^(whatsapp:)?\+[1-9]\d{6,14}$")
#: Whom the Calls API can ring: a number, a Client identity or a SIP URI.
_CALL_TO = re.compile(r"^(\+[1-9]\d{6,14}|client:[A-Za-z0-9_.\-]+|sip:\S+@\S+)$")
_CALL_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


class FakeTwilio(FakeProvider):
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._n = itertools.count(1)
        self.media: dict[str, tuple[bytes, str]] = {}  # ME sid -> (bytes, content type)
        #: Media fetched from MediaUrls of sends: (url, content type, bytes).
        self.fetched: list[tuple[str, str, bytes]] = []

    def add_media(self, data: bytes, content_type: str) -> str:
        """Keep a file a customer "sent"; returns its MediaUrl as Twilio's webhook gives it."""
        n = next(self._n)
        message, media = f"MM{n:032x}", f"ME{n:032x}"
        self.media[media] = (data, content_type)
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/{message}/Media/{media}"

    def _media(self, req: Recorded) -> Answer:
        if req.method != "GET":
            raise self._refuse(405, "Method not allowed")
        if req.path.startswith("/media-cdn/"):
            found = self.media.get(req.path.removeprefix("/media-cdn/"))
            if found is None:
                raise self._refuse(404, "NoSuchKey")
            return Answer(200, None, raw=found[0], content_type=found[1])
        prefix = f"/2010-04-01/Accounts/{self.account_sid}/Messages/"
        sid = req.path.rsplit("/", 1)[-1]
        if not req.path.startswith(prefix) or "/Media/" not in req.path:
            raise self._refuse(404, f"The requested resource {req.path} was not found")
        self._check_auth(req)
        if sid not in self.media:
            raise self._refuse(404, f"The requested resource {req.path} was not found")
        return Answer(302, None, {"Location": f"/media-cdn/{sid}"}, raw=b"")

    def _check_auth(self, req: Recorded) -> None:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if req.headers.get("authorization") != f"Basic {expected}":
            raise self._refuse(401, "Authenticate")

    def _check_media_urls(self, to: str, urls: list[str]) -> None:
        """Twilio fetches each MediaUrl itself, without credentials: at most ten on an MMS, one
        on a WhatsApp message; each must answer 200 with a Content-Type (error 11200 else)."""
        limit = 1 if to.startswith("whatsapp:") else 10
        if len(urls) > limit:
            raise self._refuse(400, f"at most {limit} MediaUrl parameters on this channel")
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise self._refuse(400, f"MediaUrl {url!r} is not an absolute http(s) URL")
            status, ctype, data = fetch_public(url)
            if status != 200 or not ctype or not data:
                raise self._refuse(400, f"11200: could not fetch MediaUrl {url} ({status})")
            with self._cond:
                self.fetched.append((url, ctype, data))

    def error(self, status: int, message: str) -> Answer:
        code = {400: 21211, 401: 20003, 404: 20404, 429: 20429, 500: 20500}.get(status, 20500)
        headers = {"Retry-After": "1"} if status == 429 else {}
        return Answer(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            headers,
        )

    def _refuse(self, status: int, why: str) -> Violation:
        return Violation(self.error(status, why), why)

    def handle(self, req: Recorded) -> Answer:
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if "/Media/" in req.path or req.path.startswith("/media-cdn/"):
            return self._media(req)
        if req.path == f"/2010-04-01/Accounts/{self.account_sid}/Calls.json":
            return self._create_call(req)
        if req.method != "POST" or req.path != path:
            raise self._refuse(404, f"The requested resource {req.path} was not found")
        self._check_auth(req)
        if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise self._refuse(400, "Content-Type must be application/x-www-form-urlencoded")
        form = req.form()
        fields = dict(form)
        names = [k for k, _ in form]
        if {n for n in names if names.count(n) > 1} - {"MediaUrl"}:
            raise self._refuse(400, "a parameter other than MediaUrl is repeated")
        to = fields.get("To", "")
        if not _E164.match(to):
            raise self._refuse(400, f"The 'To' number {to} is not a valid phone number.")
        has_from, has_service = "From" in fields, "MessagingServiceSid" in fields
        if has_from == has_service:
            raise self._refuse(400, "Exactly one of 'From' and 'MessagingServiceSid' is required")
        if has_from and not _E164.match(fields["From"]):
            raise self._refuse(400, f"The 'From' number {fields['From']} is not valid")
        if to.startswith("whatsapp:") != fields.get("From", to).startswith("whatsapp:"):
            raise self._refuse(400, "To and From must both be WhatsApp addresses or neither")
        body = fields.get("Body", "")
        if not body and "MediaUrl" not in fields:
            raise self._refuse(400, "A text message body or media urls must be specified.")
        if len(body) > 1600:
            raise self._refuse(
                400, "The concatenated message body exceeds the 1600 character limit."
            )
        media_urls = [v for k, v in form if k == "MediaUrl"]
        self._check_media_urls(to, media_urls)
        sid = f"SM{next(self._n):032x}"
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        return Answer(
            201,
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "messaging_service_sid": fields.get("MessagingServiceSid"),
                "to": to,
                "from": fields.get("From"),
                "body": body,
                "status": "queued" if has_from else "accepted",
                "direction": "outbound-api",
                "num_segments": "1",
                "num_media": str(len(media_urls)),
                "date_created": now,
                "date_updated": now,
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "price": None,
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
        )

    # --- Voice: Calls API (click-to-call) ---------------------------------------------------

    def _create_call(self, req: Recorded) -> Answer:
        """``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` as documented: To (a number,
        ``client:`` or ``sip:``), From (a number or ``client:``), exactly one of Url, Twiml and
        ApplicationSid; Url and StatusCallback absolute http(s) URLs; Method and
        StatusCallbackMethod GET or POST; StatusCallbackEvent from initiated, ringing, answered,
        completed; Timeout 1-600; Twiml at most 4000 characters. Answers 201 with a Call
        resource (status "queued")."""
        if req.method != "POST":
            raise self._refuse(405, "Method not allowed")
        self._check_auth(req)
        if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise self._refuse(400, "Content-Type must be application/x-www-form-urlencoded")
        form = req.form()
        names = [k for k, _ in form]
        if {n for n in names if names.count(n) > 1} - {"StatusCallbackEvent"}:
            raise self._refuse(400, "a parameter other than StatusCallbackEvent is repeated")
        fields = dict(form)
        to, sender = fields.get("To", ""), fields.get("From", "")
        if not _CALL_TO.match(to):
            raise self._refuse(400, f"21211: The 'To' number {to} is not a valid phone number.")
        if not (_E164.match(sender) and not sender.startswith("whatsapp:")) and not (
            sender.startswith("client:")
        ):
            raise self._refuse(400, f"21212: The 'From' number {sender} is not valid.")
        routes = [k for k in ("Url", "Twiml", "ApplicationSid") if fields.get(k)]
        if len(routes) != 1:
            raise self._refuse(400, "21205: exactly one of Url, Twiml and ApplicationSid")
        for key in ("Url", "StatusCallback", "FallbackUrl"):
            if key in fields and not fields[key].startswith(("http://", "https://")):
                raise self._refuse(400, f"21205: {key} {fields[key]!r} is not a valid URL")
        for key in ("Method", "StatusCallbackMethod", "FallbackMethod"):
            if key in fields and fields[key].upper() not in ("GET", "POST"):
                raise self._refuse(400, f"{key} must be GET or POST")
        events = [v for k, v in form if k == "StatusCallbackEvent"]
        if any(e not in _CALL_EVENTS for e in events):
            raise self._refuse(400, f"StatusCallbackEvent {events!r} has an unknown event")
        timeout = fields.get("Timeout")
        if timeout is not None and not (timeout.isdigit() and 1 <= int(timeout) <= 600):
            raise self._refuse(400, "Timeout must be a whole number of seconds from 1 to 600")
        if len(fields.get("Twiml", "")) > 4000:
            raise self._refuse(400, "Twiml is longer than 4000 characters")
        sid = f"CA{next(self._n):032x}"
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        return Answer(
            201,
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": to,
                "to_formatted": to,
                "from": sender,
                "from_formatted": sender,
                "status": "queued",
                "direction": "outbound-api",
                "parent_call_sid": None,
                "start_time": None,
                "end_time": None,
                "duration": None,
                "price": None,
                "date_created": now,
                "date_updated": now,
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
            },
        )

    def calls_created(self) -> list[dict[str, str]]:
        """The form of every Calls create the fake accepted, oldest first."""
        path = f"/2010-04-01/Accounts/{self.account_sid}/Calls.json"
        with self._cond:
            return [dict(r.form()) for r in self.requests if r.path == path]
