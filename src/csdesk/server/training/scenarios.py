"""Scenarios the server publishes: the bundled defaults, and those a supervisor adds.

A scenario file comes from outside (a supervisor's desk, ``csdesk-server scenario add``), so
it is read within bounds before the scenario rules see it: at most ``MAX_BYTES``, nested at
most ``MAX_DEPTH`` levels (measured in one pass before parsing), no NUL or lone surrogate,
then the same checks the desk runs on its bundled files (``training.scenario``), whose
message names the step at fault. Every refusal is a :class:`ScenarioRefused` with a sentence
for the person who uploaded it.

Scenario rows are synced to every realm (``storage.wire.GLOBAL_ENTITIES``): a supervisor
assigns them, a trainee plays them; their customers are fictional. Publishing a scenario
whose id exists replaces it (a new version) for every desk.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.enums import Realm, Role
from csdesk.domain.phrase import PhraseError
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.commerce.bounded_json import depth_of
from csdesk.server.edge.bad_text import find
from csdesk.server.refusals import Param, Phrase
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.training.scenario import FlowError, Scenario, default_dir, scenario_from_dict

if TYPE_CHECKING:
    from csdesk.server.state import ServerState
    from csdesk.server.sync.mutations import Reject

#: A long hand-written scenario is ~10 KB; 256 KiB leaves room and bounds the work.
MAX_BYTES: Final = 256 * 1024
#: A scenario is seven levels deep (steps, a step, expect, cover, a point, its phrases).
MAX_DEPTH: Final = 10
MAX_KEY: Final = 100
MAX_DIGITS: Final = 15
MAX_TITLE: Final = 300
BUNDLED = "bundled"
PUBLISHED = "published"
PUBLISHERS: Final = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


class ScenarioRefused(PhraseError):
    """A scenario file csdesk will not publish; ``phrase`` says why, for its author."""


def parse(text: str | bytes, filename: str = "scenario") -> tuple[str, Scenario]:
    """The scenario in ``text`` checked, and its JSON as stored (compact, ordered as given)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    name = Path(filename).name[:200] or "scenario"
    if len(raw) > MAX_BYTES:
        raise ScenarioRefused(
            Phrase(
                "{name}: the file is {size} bytes; a scenario may be at most {limit}",
                name=name,
                size=f"{len(raw):,}",
                limit=f"{MAX_BYTES:,}",
            )
        )
    if depth_of(raw) > MAX_DEPTH:
        raise ScenarioRefused(
            Phrase("{name}: nested deeper than {levels} levels", name=name, levels=MAX_DEPTH)
        )
    try:
        data = json.loads(
            raw.decode("utf-8"), parse_constant=_no_constant, parse_int=_int, parse_float=_float
        )
    except UnicodeDecodeError:
        raise ScenarioRefused(Phrase("{name}: is not UTF-8 text", name=name)) from None
    except json.JSONDecodeError as exc:
        raise ScenarioRefused(
            Phrase(
                "{name}: not valid JSON at line {line}: {problem}",
                name=name,
                line=exc.lineno,
                problem=exc.msg,
            )
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioRefused(
            Phrase("{name}: not valid JSON: {problem}", name=name, problem=str(exc))
        ) from None
    bad = find(data)
    if bad is not None:
        where = ".".join(str(p) for p in bad[0]) or "the file"
        raise ScenarioRefused(
            Phrase("{name}: {where}: {problem}", name=name, where=where, problem=bad[1])
        )
    try:
        scenario = scenario_from_dict(data, name)
    except FlowError as exc:  # its text names the file already ("tiny.json: …")
        said = str(exc).removeprefix(f"{name}: ")
        raise ScenarioRefused(Phrase("{name}: {problem}", name=name, problem=said)) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise ScenarioRefused(Phrase("{name}: {problem}", name=name, problem=str(exc))) from None
    if len(scenario.id) > MAX_KEY or not scenario.id.isprintable():
        raise ScenarioRefused(
            Phrase(
                "{name}: 'id' must be printable, at most {limit} characters",
                name=name,
                limit=MAX_KEY,
            )
        )
    if len(scenario.title) > MAX_TITLE:
        raise ScenarioRefused(
            Phrase("{name}: 'title' must be at most {limit} characters", name=name, limit=MAX_TITLE)
        )
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")), scenario


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _int(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise ValueError(f"a number of {len(text)} digits (at most {MAX_DIGITS})")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_DIGITS + 10:
        raise ValueError(f"a number of {len(text)} characters")
    return float(text)


def store(
    session: Session,
    body: str,
    scenario: Scenario,
    *,
    origin: str,
    user_id: str | None = None,
    ident: str | None = None,
    at: datetime | None = None,
) -> tuple[m.TrainingScenario, bool]:
    """Insert or replace the scenario ``scenario.id``; (its row, whether anything changed).
    ``ident`` and ``at`` make a new row's id and times (the demo seed's are repeatable)."""
    row = session.scalars(
        select(m.TrainingScenario).where(m.TrainingScenario.key == scenario.id)
    ).first()
    fields = {
        "title": scenario.title,
        "channel": scenario.channel,
        "difficulty": scenario.difficulty,
        "body": body,
        "origin": origin,
        "published_by_id": user_id,
    }
    if row is None:
        when = at or utcnow()
        row = m.TrainingScenario(
            id=ident or str(uuid.uuid4()),
            realm=Realm.TRAINING.value,
            created_at=when,
            updated_at=when,
            key=scenario.id,
            version=1,
            **fields,
        )
        session.add(row)
        return row, True
    if all(getattr(row, k) == v for k, v in fields.items()):
        return row, False
    for key, value in fields.items():
        setattr(row, key, value)
    row.version += 1
    row.updated_at = at or utcnow()
    return row, True


def bundled(directory: Path | None = None) -> list[tuple[str, Scenario]]:
    """The scenarios shipped in ``resources/scenarios`` (a bad file is skipped: the desk's
    own loader names it to the trainee)."""
    out: list[tuple[str, Scenario]] = []
    for path in sorted((directory or default_dir()).glob("*.json")):
        try:
            out.append(parse(path.read_bytes(), path.name))
        except (OSError, ScenarioRefused):
            continue
    return out


def ensure_defaults(session: Session, directory: Path | None = None) -> int:
    """Store the bundled scenarios the database lacks, and bring bundled rows up to this
    version's files; a scenario a supervisor published under the same id is left alone.
    Returns how many rows changed."""
    changed = 0
    for body, scenario in bundled(directory):
        row = session.scalars(
            select(m.TrainingScenario).where(m.TrainingScenario.key == scenario.id)
        ).first()
        if row is not None and row.origin != BUNDLED:
            continue
        _row, did = store(session, body, scenario, origin=BUNDLED)
        changed += int(did)
    return changed


# --- the push mutation ----------------------------------------------------------------------


def _reject(code: RejectCode, message: str, **params: Param) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message, **params)


def _saying(code: RejectCode, phrase: Phrase) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject.saying(code, phrase)


class PublishArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)

    #: The scenario file's text, as the supervisor picked it.
    source: str = Field(min_length=1, max_length=MAX_BYTES)
    filename: str = Field(default="scenario.json", max_length=200)


def publish(session: Session, user: m.User, a: PublishArgs) -> None:
    if user.role not in PUBLISHERS:
        raise _reject(RejectCode.FORBIDDEN, "Only a supervisor can publish training scenarios.")
    try:
        body, scenario = parse(a.source, a.filename)
    except ScenarioRefused as exc:
        raise _saying(RejectCode.INVALID, exc.phrase) from None
    row, changed = store(session, body, scenario, origin=PUBLISHED, user_id=user.id)
    if changed:
        session.flush()
        audit.record(
            session,
            user.id,
            MutationType.TRAINING_PUBLISH,
            "training_scenario",
            row.id,
            None,
            {"key": row.key, "version": row.version},
        )


def install_defaults(state: ServerState) -> None:
    """``ensure_defaults`` at server start; another process starting at the same moment may
    insert the same rows first, which is as good."""
    try:
        with state.writes() as s:
            ensure_defaults(s)
            s.commit()
    except IntegrityError:
        pass
