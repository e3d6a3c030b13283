"""The trainee's past sessions: one JSON object a line, in the client's data directory.

JSON lines because a session is appended in one write and never rewritten, so a crash while
saving can damage at most the last line, and a damaged line costs only itself: reading skips
it and says how many were skipped. The file is local and private to this computer; nothing of
training goes to the sync server.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FILE_NAME", "History", "HistoryEntry"]

FILE_NAME = "training-results.jsonl"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    scenario: str
    title: str
    channel: str
    finished_at: str
    score: int
    grade: str
    outcome: str
    feedback: tuple[str, ...]


class History:
    """Append and read results; callers run both off the GUI thread (they touch the disk)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        with open(self.path, "a+b") as out:
            # A crash mid-write left a last line without its newline: start a fresh line, or
            # this record would be glued onto the damaged one and be lost with it.
            if out.seek(0, os.SEEK_END) > 0:
                out.seek(-1, os.SEEK_END)
                if out.read(1) != b"\n":
                    line = "\n" + line
            out.write(line.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())

    def entries(self) -> tuple[list[HistoryEntry], int]:
        """Newest first, and how many damaged lines were skipped."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return [], 0
        found: list[HistoryEntry] = []
        skipped = 0
        for raw in text.splitlines():
            if not raw.strip():
                continue
            try:
                found.append(_entry(json.loads(raw)))
            except (ValueError, TypeError, KeyError):
                skipped += 1
        found.reverse()
        return found, skipped


def _entry(data: Any) -> HistoryEntry:
    if not isinstance(data, dict):
        raise TypeError("not an object")
    score = data["score"]
    if isinstance(score, bool) or not isinstance(score, int):
        raise TypeError("score is not a whole number")
    feedback = data.get("feedback", [])
    if not isinstance(feedback, list):
        raise TypeError("feedback is not a list")
    return HistoryEntry(
        scenario=str(data["scenario"]),
        title=str(data["title"]),
        channel=str(data["channel"]),
        finished_at=str(data["finished_at"]),
        score=score,
        grade=str(data.get("grade", "")),
        outcome=str(data.get("outcome", "")),
        feedback=tuple(str(f) for f in feedback),
    )
