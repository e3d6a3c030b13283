"""The one place that knows where csdesk's data files (``resources/``) live.

Three layouts must work, and each module used to guess on its own (which broke the wheel):

- a PyInstaller build: the spec copies ``resources/`` to the bundle root, ``sys._MEIPASS``;
- an installed wheel: pyproject.toml maps the top-level ``resources/`` to the package
  ``csdesk._resources``, so the files sit beside this module in site-packages;
- a source checkout or an editable install: ``resources/`` at the top of the repository.

Paths, not ``importlib.resources`` traversables: the callers glob directories and hand files
to Starlette's ``FileResponse``, and every one of these layouts is a real directory (wheels
are always unpacked on install; PyInstaller's one-folder build is a folder).
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["ResourceNotFoundError", "candidate_roots", "resource_path", "resource_root"]

_HERE = Path(__file__).resolve().parent


class ResourceNotFoundError(FileNotFoundError):
    """A data file is missing: the message names every place that was searched, which is
    what someone fixing a broken install or build needs first."""


def candidate_roots() -> list[Path]:
    """Where ``resources/`` may be, in the order searched.

    The frozen bundle comes first so a build never reads a stray checkout; the package data
    before the source tree so an installed wheel never depends on the repository."""
    roots: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if isinstance(bundle, str):
        roots.append(Path(bundle) / "resources")
    roots.append(_HERE / "_resources")
    roots.append(_HERE.parents[1] / "resources")
    return roots


def resource_root() -> Path:
    """The first existing ``resources/`` directory; raises ResourceNotFoundError if none."""
    roots = candidate_roots()
    for root in roots:
        if root.is_dir():
            return root
    raise ResourceNotFoundError(
        "csdesk's resources directory was not found; looked in: " + ", ".join(str(r) for r in roots)
    )


def resource_path(*parts: str, required: bool = True) -> Path:
    """``resources/<parts…>`` in whichever layout this is.

    ``required=False`` returns the path even if it does not exist (optional data such as
    translations, whose absence the caller handles); the root itself must always exist."""
    root = resource_root()
    path = root.joinpath(*parts)
    if required and not path.exists():
        raise ResourceNotFoundError(
            f"csdesk resource {'/'.join(parts)!r} is missing: {path} does not exist "
            f"(resources directory in use: {root}; searched: "
            + ", ".join(str(r) for r in candidate_roots())
            + ")"
        )
    return path
