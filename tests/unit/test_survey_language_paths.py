"""The survey's language picks a gettext catalogue: a value that is not a language tag (the
conversation's language is free text) must never be a path to a catalogue elsewhere."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from csdesk.server import catalogues
from csdesk.server.surveys import texts


def _mo(path: Path, catalogue: dict[str, str]) -> None:
    """A GNU .mo file (the format gettext reads), written by hand."""
    keys = sorted(catalogue)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(catalogue[k].encode() + b"\0" for k in keys)
    start = 7 * 4 + 16 * len(keys)
    table_o, table_t, offset = [], [], 0
    for k in keys:
        table_o += [len(k.encode()), start + offset]
        offset += len(k.encode()) + 1
    offset = 0
    for k in keys:
        table_t += [len(catalogue[k].encode()), start + len(ids) + offset]
        offset += len(catalogue[k].encode()) + 1
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(
        header + struct.pack(f"<{len(table_o)}I", *table_o)
        + struct.pack(f"<{len(table_t)}I", *table_t) + ids + strs
    )  # fmt: skip


def test_a_path_for_a_language_loads_no_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    localedir = tmp_path / "share" / "translations"
    _mo(localedir / "de" / "LC_MESSAGES" / "csdesk.mo", {texts.EMAIL_SUBJECT: "Wie war es?"})
    _mo(tmp_path / "up" / "LC_MESSAGES" / "csdesk.mo", {texts.EMAIL_SUBJECT: "{url.x} planted"})
    monkeypatch.setattr(catalogues, "default_localedir", lambda: localedir)
    texts.translator.cache_clear()
    try:
        assert texts.tr("de", texts.EMAIL_SUBJECT) == "Wie war es?"  # the writer works
        assert texts.tr("../../up", texts.EMAIL_SUBJECT) == texts.EMAIL_SUBJECT
    finally:
        texts.translator.cache_clear()
