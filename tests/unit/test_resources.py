"""csdesk.resources: one locator for the data files in a checkout, a wheel and a frozen build
(the installed wheel itself: tests/packaging/test_wheel_install.py)."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest

from csdesk import i18n, resources
from csdesk.server import scripts
from csdesk.server.chat.routes import resource_dir
from csdesk.server.demo.catalog import default_root
from csdesk.training.scenario import default_dir as scenario_dir

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_the_top_level_resources() -> None:
    assert resources.resource_root() == ROOT / "resources"
    assert resources.resource_path("chat", "widget.js") == ROOT / "resources/chat/widget.js"


def test_every_module_that_reads_data_uses_the_shared_locator() -> None:
    assert scripts.default_dir() == ROOT / "resources" / "scripts"
    assert resource_dir() == ROOT / "resources" / "chat"
    assert default_root() == ROOT / "resources" / "demo"
    assert scenario_dir() == ROOT / "resources" / "scenarios"
    assert i18n.default_localedir() == ROOT / "resources" / "translations"
    # ... and none finds resources/ on its own any more (the wheel broke when they did).
    for path in sorted((ROOT / "src" / "csdesk").rglob("*.py")):
        if path.name == "resources.py" and path.parent.name == "csdesk":
            continue
        text = path.read_text()
        assert "_MEIPASS" not in text, f"{path} looks for the frozen bundle itself"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Constant) and node.value == "resources":
                pytest.fail(f"{path}:{node.lineno} builds a path to resources/ itself")


def test_a_frozen_bundle_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "resources" / "chat").mkdir(parents=True)
    (tmp_path / "resources" / "chat" / "widget.js").write_text("//")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.candidate_roots()[0] == tmp_path / "resources"
    assert resources.resource_path("chat", "widget.js") == tmp_path / "resources/chat/widget.js"


def test_installed_package_data_comes_before_the_source_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "csdesk"
    (package / "_resources" / "demo").mkdir(parents=True)
    monkeypatch.setattr(resources, "_HERE", package)
    assert resources.resource_root() == package / "_resources"
    assert resources.resource_path("demo") == package / "_resources" / "demo"


def test_a_missing_file_names_what_and_where(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(resources.ResourceNotFoundError) as missing:
        resources.resource_path("chat", "no-such-file.js")
    message = str(missing.value)
    assert "chat/no-such-file.js" in message and str(ROOT / "resources") in message
    # Optional data (translations) is returned even when absent; the caller decides.
    optional = resources.resource_path("translations", "xx", required=False)
    assert optional == ROOT / "resources" / "translations" / "xx"


def test_no_resources_anywhere_lists_every_place_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    monkeypatch.setattr(resources, "_HERE", tmp_path / "lib" / "site" / "csdesk")
    with pytest.raises(resources.ResourceNotFoundError) as missing:
        resources.resource_path("demo")
    message = str(missing.value)
    for looked in (
        tmp_path / "bundle" / "resources",
        tmp_path / "lib" / "site" / "csdesk" / "_resources",
        tmp_path / "lib" / "resources",
    ):
        assert str(looked) in message
    assert isinstance(missing.value, FileNotFoundError)


def test_the_wheel_lists_every_package_and_maps_resources() -> None:
    """pyproject.toml must list packages explicitly (a mapped package cannot be found by
    ``find``): a new package under src/ missing from that list would be missing from the
    wheel, so this test names it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    src = ROOT / "src"
    on_disk = {".".join(p.parent.relative_to(src).parts) for p in src.rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - on_disk == {"csdesk._resources"}
    assert config["package-dir"] == {"": "src", "csdesk._resources": "resources"}
    assert config["package-data"]["csdesk._resources"] == ["**/*"]
