"""packaging/pyinstaller/csdesk.spec against the checkout, without running PyInstaller (a real
build takes minutes; see packaging/README.md): every module the spec names must exist, every
data path must exist, so a rename or a removed dependency breaks this test instead of the
frozen app at a user's desk."""

from __future__ import annotations

import ast
import importlib.util
import sys
from importlib import metadata
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "pyinstaller" / "csdesk.spec"
PLATFORMS = ("linux", "win32", "darwin")
HERE = "win32" if sys.platform == "win32" else "darwin" if sys.platform == "darwin" else "linux"


def _literals() -> dict[str, Any]:
    """The spec's upper-case literal assignments (the lists it is built from)."""
    found: dict[str, Any] = {}
    for node in ast.parse(SPEC.read_text(), str(SPEC)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id.isupper():
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue  # computed (ROOT, PLATFORM, VERSION)
    return found


SPEC_LISTS = _literals()


def _found(module: str) -> bool:
    """Whether ``module`` can be located, without running any package's ``__init__`` (some
    refuse a direct import, e.g. psycopg_binary; others are another platform's code)."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    for part in rest:
        if spec is None or spec.submodule_search_locations is None:
            return False
        spec = PathFinder.find_spec(part, list(spec.submodule_search_locations))
    return spec is not None


def test_the_spec_defines_every_list_the_build_uses() -> None:
    for name in ("HIDDEN_IMPORTS", "HIDDEN_IMPORTS_BY_PLATFORM", "COLLECT_SUBMODULES",
                 "COPY_METADATA", "DATAS", "REQUIRED_FILES", "EXCLUDES"):  # fmt: skip
        assert name in SPEC_LISTS, f"csdesk.spec no longer defines {name} as a literal"
    assert set(SPEC_LISTS["HIDDEN_IMPORTS_BY_PLATFORM"]) == set(PLATFORMS)
    assert set(SPEC_LISTS["REQUIRED_FILES"]) == set(PLATFORMS)


@pytest.mark.parametrize(
    "module", sorted({*SPEC_LISTS["HIDDEN_IMPORTS"], *SPEC_LISTS["COLLECT_SUBMODULES"]})
)
def test_every_common_hidden_import_exists(module: str) -> None:
    assert _found(module), f"csdesk.spec names {module!r}, which is not importable here"


PLATFORM_CASES = [(p, m) for p in PLATFORMS for m in SPEC_LISTS["HIDDEN_IMPORTS_BY_PLATFORM"][p]]
#: Another platform's own packages cannot be installed here; each must be what one of our
#: dependencies requires on that platform (the distribution that provides the module).
FOREIGN_PROVIDERS = {
    "comtypes": "comtypes",
    "win32ctypes": "pywin32-ctypes",
    "objc": "pyobjc",
    "Foundation": "pyobjc",
    "AppKit": "pyobjc",
    "AVFoundation": "pyobjc",
}
_MARKERS = {"win32": ('platform_system == "Windows"', 'sys_platform == "win32"'),
            "darwin": ('platform_system == "Darwin"', 'sys_platform == "darwin"')}  # fmt: skip


def _foreign(platform: str, module: str) -> bool:
    return platform != HERE and not _found(module.split(".")[0])


@pytest.mark.parametrize(("platform", "module"), [c for c in PLATFORM_CASES if not _foreign(*c)])
def test_platform_hidden_imports_exist(platform: str, module: str) -> None:
    """This platform's list must be complete here; another platform's modules are checked
    wherever their package is installed (keyring.backends.Windows, pyttsx3.drivers.sapi5 exist
    on Linux too)."""
    assert _found(module), f"csdesk.spec names {module!r} for {platform}; it does not exist"


def test_other_platforms_packages_are_what_our_dependencies_need_there() -> None:
    foreign = [(p, m) for p, m in PLATFORM_CASES if _foreign(p, m)]
    requirements = [req for dist in ("pyttsx3", "keyring") for req in metadata.requires(dist) or []]
    for platform, module in foreign:
        top = module.split(".")[0]
        assert top in FOREIGN_PROVIDERS, f"say which distribution provides {top!r}"
        provider = FOREIGN_PROVIDERS[top]
        assert any(
            req.split(";")[0].strip().lower().startswith(provider.lower())
            and any(marker in req for marker in _MARKERS[platform])
            for req in requirements
        ), f"no dependency of ours requires {provider} on {platform} (spec names {module})"


@pytest.mark.parametrize("source", [src for src, _ in SPEC_LISTS["DATAS"]])
def test_every_data_path_exists(source: str) -> None:
    path = ROOT / source
    assert path.exists() and (path.is_file() or any(path.iterdir())), f"{path} is missing or empty"


def test_data_destinations_are_where_the_code_looks() -> None:
    """resources/ at the bundle root (csdesk.resources' frozen root), migrations beside
    csdesk/storage/migrate.py (found through its own __file__)."""
    from csdesk.storage import migrate

    destinations = dict(SPEC_LISTS["DATAS"])
    assert destinations["resources"] == "resources"
    source = migrate.MIGRATIONS.relative_to(ROOT).as_posix()
    assert destinations[source] == "csdesk/storage/migrations"
    # The finished build is checked for one file from each data tree, on every platform.
    checked = {
        "_internal/resources/chat/widget.js": ROOT / "resources/chat/widget.js",
        "_internal/csdesk/storage/migrations/env.py": migrate.MIGRATIONS / "env.py",
    }
    for built, source_file in checked.items():
        assert source_file.is_file()
        for files in SPEC_LISTS["REQUIRED_FILES"].values():
            assert built in files


@pytest.mark.parametrize("dist", SPEC_LISTS["COPY_METADATA"])
def test_copied_metadata_belongs_to_installed_distributions(dist: str) -> None:
    assert metadata.version(dist)


def test_required_qt_plugins_exist_in_this_pyside6() -> None:
    """The spec insists the build holds these Qt files; they must exist in the installed
    PySide6 first (on this platform), or the build could never satisfy it."""
    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.origin is not None
    pyside = Path(spec.origin).parent
    for wanted in SPEC_LISTS["REQUIRED_FILES"][HERE]:
        if "/PySide6/" in wanted:
            inside = wanted.split("/PySide6/", 1)[1]
            assert (pyside / inside).exists(), f"{pyside / inside} is not in this PySide6"


def test_the_entry_script_runs_the_csdesk_command() -> None:
    entry = SPEC.with_name("csdesk_entry.py").read_text()
    assert "from csdesk.__main__ import main" in entry
    assert '"csdesk_entry.py"' in SPEC.read_text()
