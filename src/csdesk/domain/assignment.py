"""Who may be given a conversation: someone who can read it and works conversations.

A conversation lives in a realm: production, or the trainees' sandbox. Trainees read only the
sandbox, so a production conversation given to a trainee would vanish; an administrator runs
the shop and is not on the floor. So production conversations go to agents and supervisors,
sandbox conversations to trainees.
"""

from __future__ import annotations

from csdesk.domain.enums import Realm, Role


def can_be_assigned(role: str, realm: str) -> bool:
    if realm == Realm.TRAINING.value:
        return role == Role.TRAINEE.value
    return role in (Role.AGENT.value, Role.SUPERVISOR.value)


def realm_of(role: str) -> str:
    """The realm a user of ``role`` reads (and so the realm of what their desk shows)."""
    return Realm.TRAINING.value if role == Role.TRAINEE.value else Realm.PRODUCTION.value
