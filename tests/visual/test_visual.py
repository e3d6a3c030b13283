"""The look, checked against reference images (issue 13, docs/visual-regression.md).

The main window in every theme at 100, 150 and 200 % text, and the dialogs agents meet most in
the light and the high-contrast theme at 100 and 200 %, rendered offscreen from a fixed store
with the clock stopped, each compared with tests/visual/references/<scene>-<theme>-<size>.png
by a tolerant pixel diff. A change of look that was meant updates the references in the same
commit: ``make visual-update`` (or ``CSDESK_VISUAL_UPDATE=1 pytest tests/visual``).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QFontInfo, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QDialog

import csdesk.app
import csdesk.ui
from csdesk import i18n
from csdesk.app.workstation import Me, Workstation
from csdesk.sync import SyncEngine
from csdesk.theme.themes import get_theme
from tests.visual.answers import FixtureApi
from tests.visual.clock import frozen_clock
from tests.visual.compare import compare, diff_image, load
from tests.visual.fixture import ME, NOW, fill_cache
from tests.visual.scenes import (
    SCENES,
    SCREENS,
    Desk,
    close,
    grab,
    groups,
    image_name,
    open_window,
    screen_of,
)

pytestmark = pytest.mark.timeout(300)

REFERENCES = Path(__file__).parent / "references"
UPDATE = os.environ.get("CSDESK_VISUAL_UPDATE") == "1"
#: The family the references were drawn in (fontconfig's "Sans Serif" on Debian 12:
#: fonts-dejavu-core). Another family moves every line of text: say so, do not diff.
FONT_FAMILY = "DejaVu Sans"


def _import_the_desk() -> None:
    """Load every desk module now, so the frozen clock reaches the ones the window imports
    lazily (the desks it wires on first use)."""
    for package in (csdesk.ui, csdesk.app):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)


@pytest.fixture(scope="module")
def stopped_clock(qapp: QApplication) -> Iterator[None]:
    """Offscreen, in the references' font and language, with the clock stopped at the
    fixture's NOW; the application's look and language restored afterwards."""
    if QGuiApplication.platformName() != "offscreen":
        pytest.skip("the references are drawn by Qt's offscreen platform (QT_QPA_PLATFORM)")
    family = QFontInfo(qapp.font()).family()
    missing = {"Book", "Bold"} - set(QFontDatabase.styles(FONT_FAMILY))  # bold: unread rows
    if family != FONT_FAMILY or missing:
        pytest.fail(
            f"the references were drawn in {FONT_FAMILY!r} (Book and Bold), but this machine's "
            f"default font is {family!r}"
            + (f" and {FONT_FAMILY!r} has no {', '.join(sorted(missing))}" if missing else "")
            + ": install it (Debian: fonts-dejavu-core) rather than compare text drawn in "
            "another font",
            pytrace=False,
        )
    sheet, font, palette = qapp.styleSheet(), qapp.font(), qapp.palette()
    language, direction = i18n.current_language(), qapp.layoutDirection()
    i18n.set_language("en")  # whatever an earlier test in this process chose
    qapp.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    _import_the_desk()
    with frozen_clock(NOW):
        yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)
    i18n.set_language(language)
    qapp.setLayoutDirection(direction)


@pytest.fixture
def workstation(stopped_clock: None, tmp_path: Path) -> Iterator[Workstation]:
    """The fixture's desk, signed in as Ann, never started (nothing talks to a server). A
    fresh cache for every test: opening a window marks what it opens read, and each picture
    must not depend on which windows the same process opened before (xdist shares them out)."""
    cache = fill_cache(tmp_path / "cache.sqlite")
    engine = SyncEngine(cache, FixtureApi(cache, ME, "agent"))  # never started
    yield Workstation(engine, Me(ME, "ann", "Ann Agent", "agent"))
    cache.close()


def _render(desk: Desk, scene: str) -> QImage:
    widget = SCENES[scene](desk)
    try:
        return grab(widget)
    finally:
        if isinstance(widget, QDialog):
            widget.reject()
            widget.deleteLater()
        elif widget is not desk.window:  # a window of its own (dashboard, floor)
            stop = getattr(widget, "stop", None)
            if callable(stop):
                stop()
            widget.close()
            widget.deleteLater()


def check_image(actual: QImage, reference: Path, out: Path, *, update: bool = False) -> str | None:
    """What is wrong with ``actual`` against ``reference``, or None (with ``update``: write
    it as the reference). On a mismatch the actual image and a diff are written to ``out``
    and named."""
    if update:
        reference.parent.mkdir(parents=True, exist_ok=True)
        assert actual.save(str(reference)), f"could not write {reference}"
        return None
    if not reference.exists():
        got = out / reference.name
        actual.save(str(got))
        return f"no reference image {reference.name} (drawn: {got})"
    expected = load(reference)
    result = compare(expected, actual)
    if result.matches():
        return None
    got, diff = out / f"actual-{reference.name}", out / f"diff-{reference.name}"
    actual.save(str(got))
    diff_image(expected, actual).save(str(diff))
    return (
        f"{reference.name} looks different: {result.describe()}\n    actual: {got}\n"
        f"    diff:   {diff} (changed pixels in magenta)"
    )


HOW_TO_UPDATE = (
    "A change of look that was meant: run `make visual-update` and commit the new references "
    "with it (docs/visual-regression.md)."
)


@pytest.mark.parametrize(
    ("theme", "scale"),
    [pytest.param(t, s, id=f"{t}-{round(s * 100)}") for t, s in groups()],
)
def test_it_looks_as_the_references(
    workstation: Workstation, theme: str, scale: float, tmp_path: Path
) -> None:
    """One window per theme and text size (opening it is most of the time), every scene of
    that pair drawn from it and compared; all mismatches reported together."""
    problems: list[str] = []
    with screen_of(SCREENS[scale]):
        desk = open_window(workstation, theme, scale, tmp_path)
        try:
            for scene in groups()[(theme, scale)]:
                image = _render(desk, scene)
                name = image_name(scene, theme, scale)
                problem = check_image(image, REFERENCES / name, tmp_path, update=UPDATE)
                if problem:
                    problems.append(problem)
        finally:
            close(desk)
    if problems:
        pytest.fail("\n".join([*problems, HOW_TO_UPDATE]), pytrace=False)


def test_a_changed_theme_token_fails(workstation: Workstation, tmp_path: Path) -> None:
    """The check catches what it is for: the light theme with its selection colour a shade
    darker (#0a58c2 to its hover shade #08479e) no longer matches main-light-100.png."""
    reference = REFERENCES / image_name("main", "light", 1.0)
    if UPDATE or not reference.exists():
        pytest.skip("the references are being written")
    changed = replace(get_theme("light"), selection_bg="#08479e")
    with screen_of(SCREENS[1.0]):
        desk = open_window(workstation, "light", 1.0, tmp_path, changed)
        try:
            image = grab(desk.window)
        finally:
            close(desk)
    result = compare(load(reference), image)
    assert result.same_size and not result.matches(), result.describe()
