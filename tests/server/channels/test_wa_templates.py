"""WhatsApp approved templates: fetched from the Graph API (all pages, approved only), served to
desks, checked on ``message.send`` and sent as Meta's template payload."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import select

from csdesk.server.channels import config_store, wa_templates
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.vault import Vault
from csdesk.storage import models as m
from tests.helpers.data import new_id
from tests.helpers.fakes import FakeGraph
from tests.helpers.http import Raw
from tests.helpers.server import TestUser
from tests.server.channels.support import (
    META_ACCESS_TOKEN,
    META_PAGE_TOKEN,
    WHATSAPP_NUMBER_ID,
    Desk,
    new_sid,
    sms_params,
    state_for,
    whatsapp_message,
)

WABA_ID = "102290129340398"
PATH = "/api/v1/channels/whatsapp/templates"

#: As Graph lists them (fields=name,language,status,category,components), several statuses.
TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "order_update",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "594425479261596",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order news"},
            {
                "type": "BODY",
                "text": "Hi {{1}}, your order {{2}} has shipped.",
                "example": {"body_text": [["Pablo", "860198-230332"]]},
            },
            {"type": "FOOTER", "text": "Northwind Store"},
        ],
    },
    {
        "name": "promo_spring",
        "language": "en_US",
        "status": "REJECTED",
        "category": "MARKETING",
        "id": "594425479261597",
        "components": [{"type": "BODY", "text": "Spring sale: {{1}} off!"}],
    },
    {
        "name": "order_update",
        "language": "es",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "594425479261598",
        "components": [{"type": "BODY", "text": "Hola {{1}}, tu pedido {{2}} ya salió."}],
    },
    {
        "name": "welcome_back",
        "language": "en_US",
        "status": "PENDING",
        "category": "UTILITY",
        "id": "594425479261599",
        "components": [{"type": "BODY", "text": "Welcome back!"}],
    },
    {
        "name": "follow_up",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "594425479261600",
        "components": [{"type": "BODY", "text": "We have news about your request."}],
    },
    {
        "name": "receipt_photo",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "594425479261601",
        "components": [
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW"]}},
            {"type": "BODY", "text": "Your receipt."},
        ],
    },
]


def _graph_settings(graph: FakeGraph, token: str = META_ACCESS_TOKEN) -> ChannelSettings:
    return ChannelSettings(
        Provider.META,
        True,
        {"api_base_url": graph.url, "waba_id": WABA_ID, "phone_number_id": WHATSAPP_NUMBER_ID},
        {"access_token": token},
    )


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph(META_ACCESS_TOKEN, WHATSAPP_NUMBER_ID, META_PAGE_TOKEN).start()
    fake.waba_id = WABA_ID
    fake.templates = copy.deepcopy(TEMPLATES)
    try:
        yield fake
    finally:
        fake.stop()


def test_fetch_follows_every_page_and_keeps_only_approved_sendable(graph: FakeGraph) -> None:
    with requests.Session() as http:
        found = wa_templates.fetch(http, _graph_settings(graph))
    assert [(t.name, t.language) for t in found] == [
        ("follow_up", "en_US"),
        ("order_update", "en_US"),
        ("order_update", "es"),
    ]
    order = found[1]
    assert order.parameter_count == 2 and order.examples == ("Pablo", "860198-230332")
    assert order.render(["Ana", "A-1001"]) == (
        "Order news\n\nHi Ana, your order A-1001 has shipped.\n\nNorthwind Store"
    )
    assert graph.violations == []
    reqs = graph.requests
    assert len(reqs) == 3  # six templates, two a page
    for req in reqs:
        assert req.method == "GET" and req.path == f"/v21.0/{WABA_ID}/message_templates"
        assert req.headers["authorization"] == f"Bearer {META_ACCESS_TOKEN}"
        fields = parse_qs(req.query)["fields"][0].split(",")
        assert set(fields) == {"name", "language", "status", "category", "components"}
    assert "after" not in parse_qs(reqs[0].query) and parse_qs(reqs[2].query)["after"] == ["4"]


def test_fetch_reports_a_refused_token_clearly(graph: FakeGraph) -> None:
    with (
        requests.Session() as http,
        pytest.raises(wa_templates.TemplateFetchError, match="access token"),
    ):
        wa_templates.fetch(http, _graph_settings(graph, token="EAAG-revoked"))
    assert graph.violations  # the fake saw the wrong token


def test_fetch_without_a_business_account_id_says_how_to_set_it() -> None:
    cfg = ChannelSettings(Provider.META, True, {}, {"access_token": META_ACCESS_TOKEN})
    with (
        requests.Session() as http,
        pytest.raises(wa_templates.TemplateFetchError, match="--waba-id"),
    ):
        wa_templates.fetch(http, cfg)


def test_a_next_page_on_another_host_is_not_followed(graph: FakeGraph) -> None:
    page = wa_templates.parse_page(
        200,
        b'{"data": [], "paging": {"next": "https://evil.example/v21.0/x/message_templates"}}',
    )
    assert page.next_url is not None
    assert not wa_templates._same_origin(page.next_url, graph.url)

    class OnePageSession(requests.Session):
        """Answers every request with that page: the only way to get a foreign next link."""

        def __init__(self) -> None:
            super().__init__()
            self.urls: list[str] = []

        def request(self, method: str | bytes, url: str | bytes, *_a: Any, **_k: Any) -> Any:
            self.urls.append(str(url))
            answer = requests.Response()
            answer.status_code = 200
            answer._content = (
                b'{"data": [], "paging": {"next": "https://evil.example/v21.0/x/templates"}}'
            )
            return answer

    http = OnePageSession()
    # Incomplete is an error (never cached as the whole list), and the token stays home.
    with pytest.raises(wa_templates.TemplateFetchError, match="incomplete"):
        wa_templates.fetch(http, _graph_settings(graph))
    assert len(http.urls) == 1 and not any("evil" in u for u in http.urls)


# --- through the live server -----------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _meta_asked_at_will() -> Iterator[None]:
    """This module's server may ask Meta on every refresh (the once-a-minute limit has its
    own tests in ``test_wa_template_refresh.py``); set before the module's server starts."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_WA_TEMPLATES_REFRESH_SECONDS", "0")
        yield


@pytest.fixture(scope="module")
def wa_desk(desk_module: Desk) -> Desk:
    """The module's server with the Meta connection naming a WhatsApp Business Account."""
    state = state_for(desk_module.db_url, desk_module.data_dir)
    vault = Vault(desk_module.data_dir)
    try:
        with state.writes() as s:
            cfg = config_store.load(s, vault, Provider.META)
            assert cfg is not None
            settings = {k: v for k, v in cfg.settings.items() if k != "secrets_set"} | {
                "waba_id": WABA_ID
            }
            config_store.save(s, vault, Provider.META, settings, dict(cfg.secrets))
            s.commit()
    finally:
        state.engine.dispose()
    return desk_module


@pytest.fixture
def wdesk(wa_desk: Desk) -> Desk:
    wa_desk.fakes.clear()
    wa_desk.fakes.graph.waba_id = WABA_ID
    wa_desk.fakes.graph.templates = copy.deepcopy(TEMPLATES)
    return wa_desk


def _template_requests(desk: Desk) -> int:
    return sum(1 for r in desk.fakes.graph.requests if r.path.endswith("/message_templates"))


def test_desks_get_the_approved_templates_and_the_copy_is_reused(wdesk: Desk) -> None:
    r = wdesk.agent.get(PATH, params={"refresh": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["problem"] is None
    listed = {(t["name"], t["language"]): t for t in body["templates"]}
    assert set(listed) == {
        ("follow_up", "en_US"),
        ("order_update", "en_US"),
        ("order_update", "es"),
    }
    order = listed[("order_update", "en_US")]
    assert order["parameter_count"] == 2 and order["examples"] == ["Pablo", "860198-230332"]
    assert order["body"] == "Hi {{1}}, your order {{2}} has shipped."
    assert _template_requests(wdesk) == 3 and wdesk.fakes.graph.violations == []
    # A second desk within MAX_AGE is served the stored copy: no new Graph call.
    again = wdesk.agent.get(PATH)
    assert again.status_code == 200 and again.json()["templates"] == body["templates"]
    assert _template_requests(wdesk) == 3


def test_templates_need_a_signed_in_agent(wdesk: Desk) -> None:
    r = requests.get(wdesk.url(PATH), timeout=10)
    assert r.status_code == 401
    assert _template_requests(wdesk) == 0


def test_a_failed_refresh_keeps_the_old_copy_and_says_why(
    wdesk: Desk, shared_users: dict[str, TestUser]
) -> None:
    supervisor = Raw.signed_in(wdesk.server, shared_users["sue"])
    assert supervisor.get(PATH, params={"refresh": "true"}).status_code == 200
    wdesk.fakes.graph.fail(401)  # the token was revoked meanwhile
    r = supervisor.get(PATH, params={"refresh": "true"})
    assert r.status_code == 200, r.text
    assert "access token" in r.json()["problem"]
    assert len(r.json()["templates"]) == 3


def _whatsapp_conversation(desk: Desk) -> tuple[str, str]:
    wa_id = f"3467{random.randrange(10**7):07d}"
    wamid = "wamid." + new_sid("IN")
    assert desk.meta(whatsapp_message(wamid, wa_id, "Where is my order?")).status_code == 200
    conv_id: str = desk.wait_message(wamid)["conversation_id"]
    return conv_id, wa_id


def _send(desk: Desk, conv_id: str, template: dict[str, Any], **extra: Any) -> dict[str, Any]:
    args = {
        "conversation_id": conv_id,
        "message_id": new_id(),
        "body_text": "(template)",
        "template": template,
        **extra,
    }
    result: dict[str, Any] = desk.agent.push(("message.send", args))[0]
    result["message_id"] = args["message_id"]
    return result


def test_a_template_reply_is_sent_as_metas_template_payload(wdesk: Desk) -> None:
    assert wdesk.agent.get(PATH, params={"refresh": "true"}).status_code == 200
    conv_id, wa_id = _whatsapp_conversation(wdesk)
    wdesk.fakes.clear()
    wdesk.fakes.graph.waba_id, wdesk.fakes.graph.templates = WABA_ID, copy.deepcopy(TEMPLATES)
    result = _send(
        wdesk,
        conv_id,
        {"name": "order_update", "language": "en_US", "parameters": ["Ana", "A-1001"]},
    )
    assert result["status"] == "applied", result
    (req,) = wdesk.fakes.graph.wait_requests(1)
    assert wdesk.fakes.graph.violations == []
    assert req.path == f"/v21.0/{WHATSAPP_NUMBER_ID}/messages"
    assert req.headers["authorization"] == f"Bearer {META_ACCESS_TOKEN}"
    assert req.json() == {
        "messaging_product": "whatsapp",
        "to": wa_id,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ana"},
                        {"type": "text", "text": "A-1001"},
                    ],
                }
            ],
        },
    }
    sent = wdesk.wait_status(result["message_id"], "sent")
    # The thread shows what the customer got, rendered by the server, not the desk's text.
    assert sent["body_text"] == (
        "Order news\n\nHi Ana, your order A-1001 has shipped.\n\nNorthwind Store"
    )
    assert sent["provider_message_id"].startswith("wamid.FAKE")
    # The choice is kept on the message, server-side only; the audit entry still records it.
    assert "template" not in sent
    choice = {"name": "order_update", "language": "en_US", "parameters": ["Ana", "A-1001"]}
    state = state_for(wdesk.db_url, wdesk.data_dir)
    try:
        with state.reads() as s:
            row = s.get(m.Message, result["message_id"])
            assert row is not None and row.template == choice
            audit = s.scalars(
                select(m.AuditEntry.after).where(
                    m.AuditEntry.entity_id == result["message_id"],
                    m.AuditEntry.action == "message.send",
                )
            ).one()
            assert audit is not None and audit["template"] == choice
    finally:
        state.engine.dispose()


@pytest.mark.parametrize(
    ("template", "extra", "code", "words"),
    [
        ({"name": "promo_spring", "language": "en_US"}, {}, "not_found", "not approved"),
        ({"name": "order_update", "language": "fr"}, {}, "not_found", "not approved"),
        (
            {"name": "order_update", "language": "en_US", "parameters": ["Ana"]},
            {},
            "invalid",
            "takes 2 parameters; 1 were given",
        ),
        (
            {"name": "order_update", "language": "en_US", "parameters": ["Ana", " "]},
            {},
            "invalid",
            "must be filled",
        ),
        # Meta refuses (error 132018) parameter text with a line break, a tab or more than
        # four spaces in a row: the agent must hear it now, not from a failed send later.
        (
            {"name": "order_update", "language": "en_US", "parameters": ["Ana", "A-1\nA-2"]},
            {},
            "invalid",
            "line breaks",
        ),
        (
            {"name": "order_update", "language": "en_US", "parameters": ["Ana\tB", "A-1"]},
            {},
            "invalid",
            "line breaks",
        ),
        (
            {"name": "order_update", "language": "en_US", "parameters": ["Ana", "A-1     2"]},
            {},
            "invalid",
            "line breaks",
        ),
        ({"name": "follow_up", "language": "en_US"}, {"is_note": True}, "invalid", "note"),
    ],
)
def test_a_template_meta_would_refuse_is_rejected_at_once(
    wdesk: Desk, template: dict[str, Any], extra: dict[str, Any], code: str, words: str
) -> None:
    assert wdesk.agent.get(PATH, params={"refresh": "true"}).status_code == 200
    conv_id, _wa_id = _whatsapp_conversation(wdesk)
    result = _send(wdesk, conv_id, template, **extra)
    assert result["status"] == "rejected", result
    assert result["reason"]["code"] == code and words in result["reason"]["message"]
    assert wdesk.agent.get(f"/api/v1/entities/message/{result['message_id']}").status_code == 404


def test_templates_are_refused_on_other_channels(wdesk: Desk) -> None:
    assert wdesk.agent.get(PATH, params={"refresh": "true"}).status_code == 200
    sid = new_sid("SM")
    sender = f"+1415557{random.randrange(10_000):04d}"
    assert wdesk.twilio("/webhooks/twilio/sms", sms_params(sid, sender, "Hello?")).ok
    conv_id = wdesk.wait_message(sid)["conversation_id"]
    result = _send(wdesk, conv_id, {"name": "follow_up", "language": "en_US"})
    assert result["status"] == "rejected"
    assert "only be sent on WhatsApp" in result["reason"]["message"]


def test_a_template_reply_cannot_carry_files(wdesk: Desk) -> None:
    """Found by the outside review: the files were listed on the reply in the thread but never
    sent (a template payload carries none), so the agent believed the customer had them."""
    assert wdesk.agent.get(PATH, params={"refresh": "true"}).status_code == 200
    conv_id, _wa_id = _whatsapp_conversation(wdesk)
    up = wdesk.agent.post(
        "/api/v1/attachments", params={"filename": "invoice.pdf"}, data=b"%PDF-1.4 invoice"
    )
    assert up.status_code == 201, up.text
    template = {"name": "order_update", "language": "en_US", "parameters": ["Ana", "A-1001"]}
    result = _send(wdesk, conv_id, template, attachments=[up.json()])
    assert result["status"] == "rejected", result
    assert result["reason"]["code"] == "invalid" and "file" in result["reason"]["message"]
    assert wdesk.agent.get(f"/api/v1/entities/message/{result['message_id']}").status_code == 404
