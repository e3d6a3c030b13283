"""Who may read what: production data or the training sandbox, by role.

A trainee lives in the training sandbox and never reads production data; everyone else works
in production. One rule for the server (what a caller may read, whom a conversation may be
given to) and the desk (whom the assign list offers), so both always agree.
"""

from __future__ import annotations

from csdesk.domain.enums import Realm, Role

__all__ = [
    "can_be_assigned",
    "can_change_profiles",
    "can_read",
    "can_refresh_templates",
    "realm_of_role",
]


def realm_of_role(role: str) -> Realm:
    """The realm a user of ``role`` reads and writes."""
    return Realm.TRAINING if role == Role.TRAINEE.value else Realm.PRODUCTION


def can_read(role: str, realm: str) -> bool:
    """Whether a user of ``role`` can see a record of ``realm`` (an assignee must)."""
    return realm_of_role(role).value == realm


def can_be_assigned(role: str, realm: str) -> bool:
    """Whom the desk offers a conversation of ``realm`` to: someone who can read it and works
    conversations. An administrator runs the shop and is not on the floor; the server refuses
    only those who cannot read it (``can_read``), so an admin's own scripts may still assign."""
    if realm == Realm.TRAINING.value:
        return role == Role.TRAINEE.value
    return role in (Role.AGENT.value, Role.SUPERVISOR.value)


def can_refresh_templates(role: str) -> bool:
    """Whether ``role`` may make the server ask Meta for the WhatsApp template list now
    (a Graph call, rate-limited per account); everyone else is served the stored copy."""
    return role in (Role.SUPERVISOR.value, Role.ADMIN.value)


def can_change_profiles(role: str, realm: str) -> bool:
    """Whether ``role`` may change customer profiles of ``realm``: edit, merge, undo a merge,
    file a conversation under another customer. Agents, supervisors and administrators change
    production's; a trainee only the training sandbox's (practice, never a real customer)."""
    if realm == Realm.TRAINING.value:
        return role == Role.TRAINEE.value
    return role in (Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value)
