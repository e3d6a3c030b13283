"""A refusal from the live server reaches the desk in the desk's language (issue 13)."""

from __future__ import annotations

import gettext

from csdesk.i18n import use_translations
from csdesk.protocol import MutationType
from csdesk.sync import Rejection
from tests.sync.conftest import ClientFactory, Seeded
from tests.sync.test_reasons import german


def test_a_lost_claim_race_is_refused_in_german(seeded: Seeded, make_client: ClientFactory) -> None:
    ann = make_client("ann")
    bob = make_client("bob")
    ann.engine.sync_now()
    bob.engine.sync_now()
    conv = seeded.conversations[1]
    rejections: list[Rejection] = []
    ann.engine.add_listener(lambda e: rejections.append(e) if isinstance(e, Rejection) else None)
    bob.engine.enqueue(MutationType.CONVERSATION_CLAIM, {"conversation_id": conv})
    assert bob.engine.push_once() == 1
    claim = ann.engine.enqueue(MutationType.CONVERSATION_CLAIM, {"conversation_id": conv})
    use_translations(german())
    try:
        assert ann.engine.push_once() == 1
    finally:
        use_translations(gettext.NullTranslations())
    (rejection,) = rejections
    assert (rejection.mutation_id, rejection.code) == (claim, "already_assigned")
    assert rejection.message == "bob hat dieses Gespräch schon."
    (entry,) = [e for e in ann.engine.outbox.rejected() if e.id == claim]
    assert entry.reason is not None and entry.reason["message"] == rejection.message


def test_an_api_error_is_shown_in_german(seeded: Seeded, make_client: ClientFactory) -> None:
    """An ``ApiError``'s template reaches the desk's ``SyncError`` in the desk's language."""
    import io

    import pytest
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from csdesk.sync.api import ServerError

    ann = make_client("ann")
    catalog = Catalog(locale="de", domain="csdesk")
    catalog.add("at most {n} ids at once", "höchstens {n} Kennungen auf einmal")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    use_translations(gettext.GNUTranslations(buf))
    try:
        with pytest.raises(ServerError) as caught:
            ann.api.floor_messages([f"id{n}" for n in range(101)])
    finally:
        use_translations(gettext.NullTranslations())
    assert (caught.value.status, caught.value.code) == (422, "invalid")
    assert str(caught.value) == "höchstens 100 Kennungen auf einmal"
