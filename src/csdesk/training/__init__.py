"""Training mode: simulated customers, scored, entirely local.

Qt-free (standard library, ``csdesk.domain`` and ``csdesk.i18n`` only) so the rules are tested
without a window, and nothing here may import the sync engine or the storage layer: training
never touches real customers or production data. ``ui/panels/training.py`` is a thin view.
"""

from __future__ import annotations

from csdesk.training.history import History, HistoryEntry
from csdesk.training.scenario import (
    ACTIONS,
    FlowError,
    Scenario,
    default_dir,
    load_scenario,
    load_scenarios,
    scenario_from_dict,
)
from csdesk.training.scoring import Judgement, ScoreCard
from csdesk.training.session import CUSTOMER, TRAINEE, Line, ReplyError, TrainingSession, Turn

__all__ = [
    "ACTIONS",
    "CUSTOMER",
    "TRAINEE",
    "FlowError",
    "History",
    "HistoryEntry",
    "Judgement",
    "Line",
    "ReplyError",
    "Scenario",
    "ScoreCard",
    "TrainingSession",
    "Turn",
    "default_dir",
    "load_scenario",
    "load_scenarios",
    "scenario_from_dict",
]
