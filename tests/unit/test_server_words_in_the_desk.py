"""Server words the desk shows in its own language without a template of params (issue 13):
the KPI definitions (marked ``N_`` on the server, looked up by the desk), and an API error's
English text kept beside its translation for the code that must recognise it."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from csdesk.app.kpis import KpiDesk
from csdesk.i18n import use_translations
from csdesk.server.kpis.definitions import DEFINITIONS
from csdesk.sync.api import ServerError, _error

CONTACTS = DEFINITIONS["contacts"]
ZONE = "unknown time zone {name}; use an IANA name such as UTC"


@pytest.fixture
def german() -> Iterator[None]:
    catalog = Catalog(locale="de", domain="csdesk")
    catalog.add(CONTACTS, "Im Zeitraum begonnene Gespräche.")
    catalog.add(ZONE, "unbekannte Zeitzone {name}; nehmen Sie einen IANA-Namen wie UTC")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    use_translations(gettext.GNUTranslations(buf))
    try:
        yield
    finally:
        use_translations(gettext.NullTranslations())


class _Api:
    def kpi_definitions(self) -> dict[str, str]:
        return {"contacts": CONTACTS, "unknown": "A sentence no catalogue has.", "empty": ""}


def test_kpi_definitions_are_looked_up_in_the_desks_catalogue(german: None) -> None:
    desk = KpiDesk(_Api(), lambda ids: {})  # type: ignore[arg-type]
    assert desk.definitions() == {
        "contacts": "Im Zeitraum begonnene Gespräche.",
        "unknown": "A sentence no catalogue has.",
        "empty": "",  # never gettext's catalogue header
    }


class _Response:
    status_code = 400
    reason = "Bad Request"
    headers: ClassVar[dict[str, str]] = {}


def test_an_api_errors_english_is_kept_beside_its_translation(german: None) -> None:
    body: dict[str, Any] = {
        "error": {
            "code": "invalid",
            "message": "unknown time zone 'Mars/Base'; use an IANA name such as UTC",
            "template": ZONE,
            "params": {"name": "'Mars/Base'"},
        }
    }
    err = _error(_Response(), body)  # type: ignore[arg-type]
    assert isinstance(err, ServerError)
    assert err.message == "unbekannte Zeitzone 'Mars/Base'; nehmen Sie einen IANA-Namen wie UTC"
    assert "time zone" in err.english  # what KpiDesk.report recognises to ask again in UTC
