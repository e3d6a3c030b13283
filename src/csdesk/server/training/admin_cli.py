"""``csdesk-server scenario add FILE… | scenario list``: publishing training scenarios from
the command line, checked exactly as a supervisor's upload from the desk is."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from csdesk.server.training import scenarios
from csdesk.storage import models as m
from csdesk.training.scenario import Scenario


def add_parser(sub: Any, db_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = sub.add_parser("scenario", help="training scenarios: publish a file, list them")
    actions = parser.add_subparsers(dest="scenario_action", required=True)
    add = actions.add_parser(
        "add", help="publish training scenarios (JSON, docs/training.md) to every desk"
    )
    db_arg(add)
    add.add_argument("files", nargs="+", metavar="FILE")
    db_arg(actions.add_parser("list", help="show the published training scenarios"))


def run(args: argparse.Namespace, writes: sessionmaker[Session]) -> int:
    if args.scenario_action == "list":
        with writes() as s:
            rows = s.scalars(select(m.TrainingScenario).order_by(m.TrainingScenario.key)).all()
            for row in rows:
                print(
                    f"{row.key:<32} v{row.version:<3} {row.origin:<10} {row.difficulty:<7} "
                    f"{row.channel:<9} {row.title}"
                )
            if not rows:
                print("csdesk-server: no training scenarios stored")
        return 0
    parsed: list[tuple[str, str, Scenario]] = []
    for name in args.files:
        path = Path(name)
        try:
            with path.open("rb") as f:
                raw = f.read(scenarios.MAX_BYTES + 1)  # a bigger file is refused unread
            body, scenario = scenarios.parse(raw, path.name)
        except OSError as exc:
            print(f"csdesk-server: {path.name}: cannot be read: {exc.strerror}", file=sys.stderr)
            return 2
        except scenarios.ScenarioRefused as exc:
            print(f"csdesk-server: {exc}", file=sys.stderr)
            return 2
        parsed.append((path.name, body, scenario))
    with writes() as s:
        stored = [
            scenarios.store(s, body, scenario, origin=scenarios.PUBLISHED)[0]
            for _name, body, scenario in parsed
        ]
        s.commit()
        for row in stored:
            print(f"csdesk-server: published {row.key!r} ({row.title}), version {row.version}")
    return 0
