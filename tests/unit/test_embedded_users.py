"""The sign-in dialog of the embedded default lists the demo users from ``csdesk.embedded``
(the client does not import the server): it must name exactly the server's demo team."""

from __future__ import annotations

from csdesk import embedded
from csdesk.server.demo import DEMO_PASSWORD, DEMO_USERS


def test_embedded_demo_users_are_the_servers() -> None:
    assert tuple((u.username, u.role.value) for u in DEMO_USERS) == embedded.DEMO_USERS
    assert embedded.DEMO_PASSWORD == DEMO_PASSWORD
    assert DEMO_USERS[0].username == embedded.DEMO_USER
