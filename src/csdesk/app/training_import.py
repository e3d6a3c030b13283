"""Bringing the local training history into the server, once, without losing it.

Before issue 12 a finished session went only to ``training-results.jsonl`` in the data
directory, with no name on it. On a signed-in desk those sessions are sent as
``training.record`` actions (marked ``imported``) the first time training opens; the file is
read, never changed, and stays as the desk's cache. A marker beside it records who imported
what, so it happens once:

- lines written since issue 12 carry their ``user_id`` and their result ``id``: each goes to
  its own user (sending one again is harmless: the server keeps the first);
- older lines have no name: they go to the first user who opens training on this computer
  (the marker says who), never to a second one. Their id is derived from the line, so a
  retry after a crash names the same result.

A damaged line is skipped and counted, an unreadable file gives a notice: never a crash.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csdesk.app.training import TrainingDesk, record_args
from csdesk.i18n import _, ngettext
from csdesk.protocol import MutationType
from csdesk.training.history import FILE_NAME

MARKER_NAME = "training-results.imported.json"
#: A history file bigger than this is not read for import (it would be years of sessions).
MAX_BYTES = 32 * 1024 * 1024
_NAMESPACE = uuid.UUID("6f0d5b8e-4c1a-4e55-9a57-2f1c7d3e9b10")


@dataclass(frozen=True, slots=True)
class ImportReport:
    sent: int = 0
    skipped: int = 0
    problem: str = ""
    done_before: bool = False

    def notice(self) -> str:
        """A sentence for the trainee, or "" when there is nothing to say."""
        parts: list[str] = []
        if self.problem:
            parts.append(self.problem)
        if self.sent:
            parts.append(
                ngettext(
                    "{n} earlier session from this computer was added to your training record.",
                    "{n} earlier sessions from this computer were added to your training record.",
                    self.sent,
                ).format(n=self.sent)
            )
        if self.skipped:
            parts.append(
                ngettext(
                    "{n} damaged line of the local history could not be read.",
                    "{n} damaged lines of the local history could not be read.",
                    self.skipped,
                ).format(n=self.skipped)
            )
        return " ".join(parts)


def _marker(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_marker(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def import_history(desk: TrainingDesk, data_dir: Path) -> ImportReport:
    """Send this user's share of the local history once (disk: run on a worker)."""
    me = desk.me
    history = data_dir / FILE_NAME
    marker_path = data_dir / MARKER_NAME
    marker = _marker(marker_path)
    users = marker.get("users") if isinstance(marker.get("users"), list) else []
    assert isinstance(users, list)
    if me in users:
        return ImportReport(done_before=True)
    try:
        size = history.stat().st_size
        if size > MAX_BYTES:
            return ImportReport(
                problem=_(
                    "The local training history is too large to bring over ({size} MB)."
                ).format(size=size // (1024 * 1024))
            )
        text = history.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        return ImportReport(
            problem=_("The local training history could not be read: {error}").format(
                error=exc.strerror or exc
            )
        )
    legacy_owner = marker.get("legacy_by")
    take_legacy = legacy_owner in (None, me)
    sent = skipped = 0
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise ValueError("not an object")
            owner = record.get("user_id")
            if owner is None and not take_legacy:
                continue
            if owner is not None and owner != me:
                continue
            ident = record.get("id")
            if not isinstance(ident, str) or not 0 < len(ident) <= 36:
                ident = str(uuid.uuid5(_NAMESPACE, f"{me}\n{raw}"))
            args = record_args(record, ident, imported=True)
        except (ValueError, TypeError, RecursionError):
            skipped += 1
            continue
        desk.ws.engine.enqueue(MutationType.TRAINING_RECORD, args)
        sent += 1
    marker["users"] = [*users, me]
    if take_legacy:
        marker["legacy_by"] = me
    with contextlib.suppress(OSError):  # no marker: the next import repeats, harmlessly
        data_dir.mkdir(parents=True, exist_ok=True)
        _write_marker(marker_path, marker)
    return ImportReport(sent=sent, skipped=skipped)
