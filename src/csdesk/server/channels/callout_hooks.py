"""``/webhooks/twilio/voice/callout``: Twilio's requests about a click-to-call.

The query names our call and the step (``answer``: the agent's phone picked up, answered with
the TwiML that dials the customer; ``dialed``: the Dial's result; ``status``: the agent leg's
end). Each request is signed like every Twilio webhook, over the full URL with its query, so
a forged request can neither name another call nor skip the signature (403).
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from csdesk.server.channels import twilio
from csdesk.server.channels.callout import CALLOUT_PATH, report
from csdesk.server.channels.runtime import runtime_of
from csdesk.server.channels.webhooks import _ERRORS, _TWIML, _form_body, _twilio_params
from csdesk.server.errors import ApiError
from csdesk.storage import models as m

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_STEPS = frozenset({"answer", "dialed", "status"})
_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")


@router.post(
    CALLOUT_PATH.removeprefix("/webhooks"),
    summary="Twilio: a click-to-call (agent answered, customer dialled, call ended)",
    responses={200: {"content": {_TWIML: {}}}, **_ERRORS},
    openapi_extra=_form_body({"CallSid": "the agent's leg", "CallStatus": "status"}),
)
async def twilio_callout(request: Request) -> Response:
    cfg, params = await _twilio_params(request, CALLOUT_PATH)
    rt = runtime_of(request)
    call_id = request.query_params.get("call", "")
    step = request.query_params.get("step", "")
    if not _ID.match(call_id) or step not in _STEPS:
        raise ApiError(400, "invalid_payload", "call and step (answer, dialed, status) are needed")
    if not (params.get("CallSid") or "").strip():
        raise ApiError(400, "invalid_payload", "Twilio webhook is missing the CallSid parameter")

    def record() -> str | None:
        with rt.state.writes() as s:
            call = s.get(m.Call, call_id, with_for_update=True)
            if call is None:
                return None
            report(s, call, step, params)
            number, shop = call.to_number, call.from_number
            s.commit()
            return f"{number}\n{shop}"

    found = await run_in_threadpool(record)
    if found is None:
        raise ApiError(404, "not_found", "no such call")
    log.info("click-to-call %s: %s", call_id, step)
    if step != "answer":
        return Response(twilio.build_twiml(), media_type=_TWIML)
    number, shop = found.split("\n")
    here = rt.public_url(CALLOUT_PATH)
    twiml = twilio.dial_customer(
        number,
        caller_id=cfg.text("from_number") or shop,
        action=f"{here}?call={call_id}&step=dialed",
        greeting=cfg.text("callout_greeting") or None,
    )
    return Response(twiml, media_type=_TWIML)
