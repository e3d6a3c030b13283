"""The WhatsApp template list costs Meta one call per minute and account, whoever asks: agents
are served the stored copy, supervisors and administrators may refresh it, and a flood of
refreshes (or of desks opening the list at once) does not reach Meta (issue 9, item 16)."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from csdesk.server.channels import config_store
from csdesk.server.channels.config_store import Provider
from csdesk.server.channels.vault import Vault
from tests.helpers.http import Raw
from tests.helpers.server import TestUser
from tests.server.channels.support import Desk, state_for
from tests.server.channels.test_wa_templates import PATH, TEMPLATES, WABA_ID

#: One listing of TEMPLATES is three Graph requests (two templates a page).
ONE_LISTING = 3


@pytest.fixture(scope="module")
def limited_desk(desk_module: Desk) -> Desk:
    """The module's server (default limit: one Meta call a minute) with a WABA configured."""
    state = state_for(desk_module.db_url, desk_module.data_dir)
    vault = Vault(desk_module.data_dir)
    try:
        with state.writes() as s:
            cfg = config_store.load(s, vault, Provider.META)
            assert cfg is not None
            settings = {k: v for k, v in cfg.settings.items() if k != "secrets_set"}
            config_store.save(
                s, vault, Provider.META, settings | {"waba_id": WABA_ID}, dict(cfg.secrets)
            )
            s.commit()
    finally:
        state.engine.dispose()
    return desk_module


def _listings(desk: Desk) -> int:
    return sum(1 for r in desk.fakes.graph.requests if r.path.endswith("/message_templates"))


def test_refresh_is_for_supervisors_and_once_a_minute(
    limited_desk: Desk, shared_users: dict[str, TestUser]
) -> None:
    desk = limited_desk
    desk.fakes.clear()
    desk.fakes.graph.waba_id, desk.fakes.graph.templates = WABA_ID, copy.deepcopy(TEMPLATES)
    # Many desks open the list at once with no copy yet: Meta is asked once; the others
    # either wait for that copy or hear when to try again, never a 5xx.
    clients = [Raw.signed_in(desk.server, shared_users[n]) for n in ("ann", "bob", "sue")]
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda n: clients[n % 3].get(PATH, params={"refresh": "true"}), range(16))
        )
    codes = {r.status_code for r in answers}
    assert codes <= {200, 429}, [r.text for r in answers if r.status_code not in (200, 429)]
    assert 200 in codes
    for r in answers:
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1
            assert r.json()["error"]["code"] == "whatsapp_templates_rate_limited"
    assert _listings(desk) == ONE_LISTING

    ann, sue = clients[0], clients[2]
    adm = Raw.signed_in(desk.server, shared_users["adm"])
    # An agent's refresh is served the stored copy: no call to Meta.
    for _ in range(5):
        r = ann.get(PATH, params={"refresh": "true"})
        assert r.status_code == 200 and r.json()["problem"] is None
        assert len(r.json()["templates"]) == 3
    # A supervisor's or an administrator's within the minute: the copy, and when to retry.
    for who in (sue, adm):
        r = who.get(PATH, params={"refresh": "true"})
        assert r.status_code == 200, r.text
        assert "again in" in r.json()["problem"] and len(r.json()["templates"]) == 3
        # Issue 13: its template and params, so the desk says it in the agent's language.
        body = r.json()
        assert body["problem_template"] == (
            "The list was fetched from Meta moments ago; it can be fetched again in {seconds} s."
        )
        assert body["problem_template"].format(**body["problem_params"]) == body["problem"]
    assert _listings(desk) == ONE_LISTING


def test_templates_still_need_a_token(limited_desk: Desk) -> None:
    r = requests.get(limited_desk.url(PATH), params={"refresh": "true"}, timeout=10)
    assert r.status_code == 401
