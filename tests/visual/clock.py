"""The desk's clock stopped at the fixture's NOW, in UTC, for every csdesk module loaded.

The desk reads "now" in many places (``storage.types.utcnow`` and ``datetime.now(UTC)`` in
panels and use cases), so the pictures would age with the wall clock ("5 min" waited, "due in
1 h"). Like freezegun, but small: each loaded csdesk module's ``datetime`` name is swapped for
a subclass whose ``now`` is fixed (``utcnow`` itself calls ``datetime.now``, so callers that
bound ``utcnow`` early, as default arguments, are frozen too). Time zone: UTC.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Any

_REAL = datetime


class _FrozenMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _REAL)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _REAL)


def frozen_datetime(now: datetime) -> type[datetime]:
    """A ``datetime`` whose ``now()``/``utcnow()``/``today()`` say ``now`` (aware, UTC)."""

    class FrozenDatetime(_REAL, metaclass=_FrozenMeta):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Any:
            return now.astimezone(tz) if tz is not None else now.astimezone().replace(tzinfo=None)

        @classmethod
        def utcnow(cls) -> Any:
            return now.replace(tzinfo=None)

        @classmethod
        def today(cls) -> Any:
            return cls.now()

    return FrozenDatetime


@contextmanager
def frozen_clock(now: datetime, timezone: str = "UTC") -> Iterator[None]:
    """Stop the clock of every loaded ``csdesk`` module at ``now`` and set the local zone.

    Import what will render before entering: modules loaded later keep the real clock."""
    fake = frozen_datetime(now)
    patched = [
        module
        for name, module in list(sys.modules.items())
        if (name == "csdesk" or name.startswith("csdesk."))
        and getattr(module, "datetime", None) is _REAL
    ]
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = timezone
    time.tzset()
    for module in patched:
        module.datetime = fake  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.datetime = _REAL  # type: ignore[attr-defined]
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()
