"""WhatsApp approved templates for the composer: load the list, send one.

Outside WhatsApp's 24-hour window a template is the only way to reach the customer.  Loading
asks the server (network: run it on a worker); sending is an ordinary ``message.send`` with a
``template`` argument, written locally first like any reply, with the rendered text as its body
so the thread shows at once what the customer will read (the server re-renders it from its own
copy of the approved list and refuses one Meta would refuse).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from csdesk.domain.wa_template import Template as Template
from csdesk.protocol import Entity, MutationType
from csdesk.sync.events import ChangeSet
from csdesk.sync.reasons import localized

if TYPE_CHECKING:
    from csdesk.app.workstation import Workstation


@dataclass(frozen=True, slots=True)
class TemplateList:
    templates: tuple[Template, ...]
    fetched_at: datetime | None
    #: Set when the server could not refresh the list and shows an older copy.
    problem: str | None = None


def load(ws: Workstation, *, refresh: bool = False) -> TemplateList:
    """Network: run on a worker. Raises ``SyncError`` (its text is for the agent)."""
    body = ws.engine.api.whatsapp_templates(refresh)
    fetched = body.get("fetched_at")
    return TemplateList(
        tuple(Template.from_json(t) for t in body.get("templates") or ()),
        datetime.fromisoformat(str(fetched)) if fetched else None,
        _problem(body),
    )


def _problem(body: dict[str, Any]) -> str | None:
    """The server's "older copy" notice, in the desk's language when it sent the template."""
    if not body.get("problem"):
        return None
    return localized(
        {
            "message": str(body["problem"]),
            "template": body.get("problem_template"),
            "params": body.get("problem_params") or {},
        }
    )


def send(
    ws: Workstation, conversation_id: str, template: Template, parameters: Sequence[str]
) -> tuple[str, ChangeSet]:
    """Queue ``template`` as a reply (local cache first, then the outbox); raises ValueError
    when a parameter is missing, which the dialog prevents."""
    params = [p.strip() for p in parameters]
    if len(params) != template.parameter_count or not all(params):
        raise ValueError("every template parameter must be filled in")
    message_id = str(uuid.uuid4())
    ws.engine.enqueue(
        MutationType.MESSAGE_SEND,
        {
            "conversation_id": conversation_id,
            "message_id": message_id,
            "body_text": template.render(params),
            "template": {
                "name": template.name,
                "language": template.language,
                "parameters": params,
            },
        },
    )
    changes = ChangeSet.of([(Entity.CONVERSATION, conversation_id), (Entity.MESSAGE, message_id)])
    return message_id, changes
