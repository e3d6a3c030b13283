"""The desk learns where customers reach the server (``--public-url``) at sign-in and from
``/auth/me``, and builds knowledge-base links for customers from it (before: from the address
the desk itself talks to, e.g. an office-network or loopback address a customer cannot open)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from csdesk.app.kb import KnowledgeBase
from csdesk.domain.enums import Role
from csdesk.sync import SyncApi
from tests.helpers.server import ServerProcess, TestUser, add_users

PUBLIC = "https://help.shop.example"


def test_the_desk_links_customers_to_the_public_address(db_url: str, tmp_path: Path) -> None:
    add_users(db_url, [TestUser("ann", "ann-password", Role.AGENT)])
    server = ServerProcess(
        db_url, log_path=tmp_path / "s.log", extra_args=["--public-url", PUBLIC + "/"]
    ).start()
    try:
        api = SyncApi(server.url)
        assert api.public_base_url is None
        api.login("ann", "ann-password")
        assert api.public_base_url == PUBLIC
        again = SyncApi(server.url, api.token)  # a desk starting on its saved token
        assert again.me()["username"] == "ann"
        assert again.public_base_url == PUBLIC
        ws = SimpleNamespace(engine=SimpleNamespace(api=again))
        kb = KnowledgeBase(cast(Any, ws))
        assert kb.base_url == PUBLIC
        # Unknown (an older server): the desk's own address.
        older = SyncApi(server.url)
        assert (
            KnowledgeBase(cast(Any, SimpleNamespace(engine=SimpleNamespace(api=older)))).base_url
            == server.url
        )
    finally:
        server.stop()
