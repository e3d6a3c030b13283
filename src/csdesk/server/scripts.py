"""Call scripts on the server: read and check script files, store them, list them.

A script file is one flow in the JSON form ``domain.steps.flow_from_dict`` reads, plus the
optional ``topic`` and ``language`` fields. Operators write these by hand, so a file is
checked completely before anything is stored and the error names the file, the step and the
problem. Importing a file whose ``id`` is already stored replaces that script (per realm).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain.enums import Realm
from csdesk.domain.steps import Flow, FlowError, flow_from_dict
from csdesk.resources import resource_path
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

#: Script ids are derived from realm and key: the same script gets the same id on every
#: server and every seed of the demo (whose rows are reproducible, ids included).
_ID_SPACE = uuid.UUID("6f0c61a2-57d3-4c8e-9a43-5d1f2c0b7e11")

#: Largest script file accepted (a flow of a few hundred steps is far smaller).
MAX_FILE_BYTES = 512 * 1024


class ScriptFileError(ValueError):
    """A script file that cannot be imported; the message says which file and why."""


@dataclass(frozen=True, slots=True)
class ScriptFile:
    flow: Flow
    definition: dict[str, Any]
    topic: str
    language: str


def default_dir() -> Path:
    """``resources/scripts``, wherever csdesk.resources finds it."""
    return resource_path("scripts")


def parse(data: Any, source: str = "script") -> ScriptFile:
    """Check one script definition; raises ScriptFileError naming ``source``."""
    try:
        flow = flow_from_dict(data)
    except FlowError as exc:
        raise ScriptFileError(f"{source}: {exc}") from None
    assert isinstance(data, dict)
    topic, language = data.get("topic", ""), data.get("language", "en")
    if not isinstance(topic, str) or len(topic) > 32:
        raise ScriptFileError(f"{source}: 'topic' must be a short string")
    if not isinstance(language, str) or not 2 <= len(language) <= 16:
        raise ScriptFileError(f"{source}: 'language' must be a language code such as 'en'")
    if len(flow.id) > 64 or len(flow.title) > 200:
        raise ScriptFileError(f"{source}: the id (64) or title (200 characters) is too long")
    # A wrap-up's trail names each step and choice taken, and the server refuses a trail
    # with longer ones (``domain.calls.trail_problem``): such a script could never be wrapped up.
    for step in flow.steps.values():
        if len(step.id) > 64:
            raise ScriptFileError(
                f"{source}: step {step.id[:20]!r}… has an id longer than 64 characters"
            )
        for choice in step.choices:
            if len(choice.name) > 200:
                raise ScriptFileError(
                    f"{source}: a choice of step {step.id!r} has a key (or, without one, a "
                    "label) longer than 200 characters"
                )
    return ScriptFile(flow, dict(data), topic, language)


def read_file(path: Path) -> ScriptFile:
    """Read and check a script file; every failure is a ScriptFileError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScriptFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScriptFileError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScriptFileError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ScriptFileError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return parse(data, str(path))


def builtin() -> list[ScriptFile]:
    """The scripts shipped in ``resources/scripts`` (seeded by the demo)."""
    return [read_file(p) for p in sorted(default_dir().glob("*.json"))]


def store(
    session: Session,
    script: ScriptFile,
    realm: str = Realm.PRODUCTION.value,
    at: datetime | None = None,
) -> m.CallScript:
    """Insert the script, or replace the stored one with the same key in ``realm``."""
    row = session.scalars(
        select(m.CallScript).where(m.CallScript.realm == realm, m.CallScript.key == script.flow.id)
    ).first()
    if row is None:
        ident = str(uuid.uuid5(_ID_SPACE, f"{realm}:{script.flow.id}"))
        now = at or utcnow()
        row = m.CallScript(
            id=ident, realm=realm, key=script.flow.id, created_at=now, updated_at=now
        )
        session.add(row)
    row.title = script.flow.title
    row.topic = script.topic
    row.language = script.language
    row.definition = script.definition
    row.active = True
    session.flush()
    return row


def store_all(
    session: Session,
    scripts: Iterable[ScriptFile],
    realms: Iterable[str],
    at: datetime | None = None,
) -> list[m.CallScript]:
    realms = list(realms)
    return [store(session, s, realm, at) for s in scripts for realm in realms]


def listing(session: Session) -> list[m.CallScript]:
    return list(
        session.scalars(select(m.CallScript).order_by(m.CallScript.realm, m.CallScript.title))
    )
