"""Skip-or-fail for tests that need something from the machine (a library, a service, a binary).

A developer without, say, libespeak-ng should see a visible skip with the reason, not a wall of
errors. On CI the environment is supposed to be complete, so a missing requirement there is a
broken pipeline and must fail loudly instead of silently skipping the test it was meant to run.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

_TRUTHY = frozenset({"1", "true", "yes", "on"})


def running_on_ci() -> bool:
    """True when ``CI`` is set to a truthy value, as GitHub Actions, GitLab and others do."""
    return os.environ.get("CI", "").strip().lower() in _TRUTHY


def unmet(reason: str) -> NoReturn:
    """Fail on CI, skip elsewhere; for requirements only discovered by trying (e.g. a load)."""
    if running_on_ci():
        pytest.fail(f"requirement not met on CI: {reason}", pytrace=False)
    pytest.skip(f"requirement not met: {reason}")


def require(condition: bool, reason: str) -> None:
    """Continue when ``condition`` holds; otherwise skip with ``reason`` (or fail on CI).

    Call it inside a test or fixture, not at import time, so one missing tool costs only the
    tests that need it.
    """
    if not condition:
        unmet(reason)
