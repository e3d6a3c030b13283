"""``csdesk-server call-phone USERNAME PHONE``: what an agent's click-to-call rings first."""

from __future__ import annotations

import sys

from sqlalchemy import select

from csdesk.domain.callbacks import call_phone_problem
from csdesk.server.state import ServerState
from csdesk.storage import audit
from csdesk.storage import models as m


def set_call_phone(state: ServerState, username: str, phone: str) -> int:
    value = phone.strip()
    if value and (problem := call_phone_problem(value)) is not None:
        print(f"csdesk-server: {problem.text}", file=sys.stderr)
        return 2
    with state.writes() as s:
        user = s.scalars(select(m.User).where(m.User.username == username)).first()
        if user is None:
            print(f"csdesk-server: no user {username!r}", file=sys.stderr)
            return 2
        before = {"call_phone": user.call_phone}
        user.call_phone = value or None
        audit.record(s, None, "user.call_phone", "user", user.id, before, {"call_phone": value})
        s.commit()
    shown = value or "nothing (click-to-call is off for them)"
    print(f"csdesk-server: {username}'s calls ring {shown}")
    return 0
