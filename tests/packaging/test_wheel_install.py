"""A normal (non-editable) install from the wheel, with the source tree out of reach: the data
files must come from the wheel (csdesk/_resources), found through csdesk.resources.

The wheel is built from a copy of the checkout (so the build leaves nothing in the working
tree) with this environment's setuptools, offline; it is installed into a fresh venv made from
the base interpreter, and the third-party dependencies come from this venv's site-packages on
PYTHONPATH (without its .pth files, so the editable csdesk stays invisible)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

from tests.helpers.requirements import require

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import csdesk
from csdesk import i18n, resources
from csdesk.server import scripts
from csdesk.server.chat.routes import resource_dir
from csdesk.server.demo.catalog import default_root
from csdesk.training import load_scenarios
from csdesk.training.scenario import default_dir as scenario_dir
found, errors = load_scenarios()
print(json.dumps({
    "package": csdesk.__file__,
    "roots": [str(r) for r in resources.candidate_roots()],
    "root": str(resources.resource_root()),
    "dirs": [str(scripts.default_dir()), str(resource_dir()), str(default_root()),
             str(scenario_dir()), str(i18n.default_localedir())],
    "widget": resource_dir().joinpath("widget.js").is_file(),
    "scenarios": len(found), "errors": errors,
    "scripts": len(scripts.builtin()),
}))
"""


def _setuptools_major() -> int:
    try:
        return int(metadata.version("setuptools").split(".")[0])
    except metadata.PackageNotFoundError:
        return 0


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, (cmd, done.stdout[-2000:], done.stderr[-3000:])
    return done  # type: ignore[no-any-return]


def test_installed_wheel_seeds_the_demo_and_finds_every_resource(tmp_path: Path) -> None:
    require(
        _setuptools_major() >= 77,
        "building the wheel offline needs setuptools>=77 here (pip install -e '.[package]')",
    )
    checkout = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in ("src", "resources"):
        shutil.copytree(ROOT / name, checkout / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, checkout / name)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          "-w", str(dist), str(checkout)], cwd=tmp_path)  # fmt: skip
    shutil.rmtree(checkout)  # nothing of the source left beside the install
    (wheel,) = dist.glob("csdesk-*.whl")

    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", "--without-pip", str(venv)])
    scripts_dir = Path(sysconfig.get_path("scripts", vars={"base": str(venv)}))
    python = scripts_dir / ("python.exe" if os.name == "nt" else "python")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
          "--no-index", str(wheel)])  # fmt: skip
    purelib = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    env = {
        **os.environ,
        # The wheel's site-packages first, then this venv's for the dependencies.
        "PYTHONPATH": os.pathsep.join([purelib, sysconfig.get_path("purelib")]),
        "CSDESK_DATA_DIR": str(tmp_path / "data"),
        "CSDESK_CONFIG_DIR": str(tmp_path / "config"),
    }

    probe = json.loads(_run([str(python), "-c", PROBE], env=env, cwd=tmp_path).stdout)
    package = Path(probe["package"]).resolve()
    assert package.is_relative_to(Path(purelib).resolve()), probe
    root = Path(probe["root"]).resolve()
    assert root == package.parent / "_resources", probe
    assert not Path(probe["roots"][-1]).exists(), "the source-tree fallback must be out of reach"
    assert all(Path(d).resolve().is_relative_to(root) for d in probe["dirs"]), probe
    assert probe["widget"] and probe["scripts"] >= 1, probe
    assert probe["scenarios"] >= 1 and probe["errors"] == [], probe

    db = f"sqlite+pysqlite:///{tmp_path / 'wheel.db'}"
    server_cli = str(scripts_dir / "csdesk-server")
    _run([server_cli, "seed-demo", "--db", db, "--customers", "8"], env=env, cwd=tmp_path)
    listed = _run([server_cli, "scripts", "list", "--db", db], env=env, cwd=tmp_path).stdout
    shipped = sorted((ROOT / "resources" / "scripts").glob("*.json"))
    assert len(shipped) >= 1
    for path in shipped:
        assert json.loads(path.read_text())["id"] in listed, listed
