"""Who may be given a conversation (issue 9 item 33): those who can read it and work it."""

from __future__ import annotations

import pytest

from csdesk.domain.access import can_be_assigned, realm_of_role


@pytest.mark.parametrize(
    ("role", "production", "training"),
    [
        ("agent", True, False),
        ("supervisor", True, False),
        ("admin", False, False),
        ("trainee", False, True),
        ("someone-new", False, False),
    ],
)
def test_can_be_assigned(role: str, production: bool, training: bool) -> None:
    assert can_be_assigned(role, "production") is production
    assert can_be_assigned(role, "training") is training


def test_a_trainee_desk_is_the_sandbox() -> None:
    assert realm_of_role("trainee") == "training" and realm_of_role("agent") == "production"
