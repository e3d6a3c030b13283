"""Twilio's Messages API as documented: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``.

Checks HTTP Basic auth (AccountSid:AuthToken), the form encoding, To, exactly one of From and
MessagingServiceSid, a Body or MediaUrl, and Body length; answers 201 with a Message resource
(status "queued") or Twilio's error object ``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import base64
import itertools
import re
from datetime import UTC, datetime

from tests.helpers.fakes.base import Answer, FakeProvider, Recorded, Violation

_E164 = re.compile(r"^(whatsapp:)?\+[1-9]\d{6,14}$")


class FakeTwilio(FakeProvider):
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._n = itertools.count(1)

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
        if req.method != "POST" or req.path != path:
            raise self._refuse(404, f"The requested resource {req.path} was not found")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if req.headers.get("authorization") != f"Basic {expected}":
            raise self._refuse(401, "Authenticate")
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
                "num_media": "0",
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
