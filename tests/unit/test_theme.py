"""Contrast maths, the WCAG promises of every shipped theme, and the rendered style sheet."""

from __future__ import annotations

import dataclasses
import math
import re
import subprocess
import sys

import pytest

from csdesk.domain.enums import Channel
from csdesk.theme.contrast import contrast_ratio, normalize_hex, parse_hex, relative_luminance
from csdesk.theme.qss import FOCUSABLE_SELECTORS, MAX_SCALE, MIN_SCALE, arrow_sizes, render_qss
from csdesk.theme.themes import DARK, HIGH_CONTRAST, HIGH_CONTRAST_DARK, LIGHT, THEMES, get_theme
from csdesk.theme.tokens import (
    COLOUR_TOKENS,
    CONTRAST_PAIRS,
    ConformanceLevel,
    PairKind,
    Theme,
    TokenPair,
    channel_colour,
    required_ratio,
)

# --- contrast maths -------------------------------------------------------------------------


def test_black_on_white_is_21_to_1_either_way() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#fff", "#000") == pytest.approx(21.0)


def test_identical_colours_have_no_contrast() -> None:
    assert contrast_ratio("#1a73e8", "#1A73E8") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("foreground", "background", "expected"),
    [
        ("#777777", "#ffffff", 4.48),  # the classic "almost AA" grey
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes AA on white
        ("#595959", "#ffffff", 7.00),  # the lightest grey that passes AAA on white
        ("#0000ff", "#ffffff", 8.59),
        ("#ff0000", "#ffffff", 4.00),
    ],
)
def test_known_wcag_ratios(foreground: str, background: str, expected: float) -> None:
    assert contrast_ratio(foreground, background) == pytest.approx(expected, abs=0.01)


def test_ratio_is_not_rounded_up() -> None:
    # 4.48 must fail AA even though it "rounds" to 4.5.
    assert contrast_ratio("#777", "#fff") < 4.5


def test_relative_luminance_endpoints_and_green_weight() -> None:
    assert relative_luminance("#000") == 0.0
    assert relative_luminance("#fff") == pytest.approx(1.0)
    assert relative_luminance("#00ff00") == pytest.approx(0.7152)


def test_shorthand_and_case_are_normalised() -> None:
    assert normalize_hex("#AbC") == "#aabbcc"
    assert parse_hex("#0a58c2") == (10, 88, 194)


@pytest.mark.parametrize(
    "bad",
    ["", "fff", "#ff", "#ffff", "#fffff", "#fffffff", "#12345678", "#gggggg", "red", " #fff"],
)
def test_malformed_colours_raise_value_error_naming_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="not an sRGB hex colour") as info:
        contrast_ratio(bad, "#ffffff")
    assert repr(bad) in str(info.value)


def test_theme_rejects_a_malformed_token() -> None:
    with pytest.raises(ValueError, match="#12"):
        dataclasses.replace(LIGHT, text="#12")


def test_theme_normalises_tokens_and_is_frozen() -> None:
    theme = dataclasses.replace(LIGHT, text="#ABC")
    assert theme.text == "#aabbcc"
    with pytest.raises(dataclasses.FrozenInstanceError):
        theme.text = "#000000"  # type: ignore[misc]


# --- every theme keeps its WCAG promise -----------------------------------------------------


def test_requirement_table() -> None:
    assert required_ratio(PairKind.TEXT, ConformanceLevel.AA) == 4.5
    assert required_ratio(PairKind.TEXT, ConformanceLevel.AAA) == 7.0
    assert required_ratio(PairKind.NON_TEXT, ConformanceLevel.AA) == 3.0
    assert required_ratio(PairKind.NON_TEXT, ConformanceLevel.AAA) == 3.0
    assert required_ratio(PairKind.DISABLED_TEXT, ConformanceLevel.AAA) == 4.5


def test_themes_promise_the_levels_the_issue_asks_for() -> None:
    assert (LIGHT.level, DARK.level) == (ConformanceLevel.AA, ConformanceLevel.AA)
    assert HIGH_CONTRAST.level is ConformanceLevel.AAA
    assert HIGH_CONTRAST_DARK.level is ConformanceLevel.AAA


def _pair_id(item: object) -> str:
    if isinstance(item, Theme):
        return item.name
    assert isinstance(item, TokenPair)
    return f"{item.foreground}-on-{item.background}-{item.kind}"


@pytest.mark.parametrize("pair", CONTRAST_PAIRS, ids=_pair_id)
@pytest.mark.parametrize("theme", list(THEMES.values()), ids=_pair_id)
def test_declared_pair_meets_its_threshold(theme: Theme, pair: TokenPair) -> None:
    ratio = contrast_ratio(theme.colour(pair.foreground), theme.colour(pair.background))
    needed = required_ratio(pair.kind, theme.level)
    assert ratio >= needed, (
        f"{theme.name}: {pair.foreground} {theme.colour(pair.foreground)} on "
        f"{pair.background} {theme.colour(pair.background)} ({pair.where}) is {ratio:.2f}:1, "
        f"needs {needed}:1"
    )


def test_every_token_except_decorative_ones_is_contrast_checked() -> None:
    checked = {p.foreground for p in CONTRAST_PAIRS} | {p.background for p in CONTRAST_PAIRS}
    assert set(COLOUR_TOKENS) - checked == {"border"}


def test_pairs_name_real_tokens_and_cover_both_kinds() -> None:
    for pair in CONTRAST_PAIRS:
        assert pair.foreground in COLOUR_TOKENS
        assert pair.background in COLOUR_TOKENS
    kinds = {p.kind for p in CONTRAST_PAIRS}
    assert kinds == set(PairKind)


def test_dark_flag_matches_the_background() -> None:
    for theme in THEMES.values():
        assert theme.is_dark == (relative_luminance(theme.window_bg) < 0.2), theme.name


# --- registry -------------------------------------------------------------------------------


def test_registry_holds_the_four_themes_by_name() -> None:
    assert set(THEMES) == {"light", "dark", "high_contrast", "high_contrast_dark"}
    for name, theme in THEMES.items():
        assert get_theme(name) is theme
        assert theme.name == name


def test_unknown_theme_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"unknown theme 'solarized'.*high_contrast_dark"):
        get_theme("solarized")


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        THEMES["light"] = DARK  # type: ignore[index]


def test_every_channel_has_a_colour() -> None:
    for channel in Channel:
        assert channel_colour(LIGHT, channel.value) == LIGHT.colour(f"channel_{channel.value}")
    with pytest.raises(KeyError, match="fax"):
        channel_colour(LIGHT, "fax")


def test_unknown_token_lookup_raises() -> None:
    with pytest.raises(KeyError, match="name"):
        LIGHT.colour("name")  # a field, but not a colour


# --- style sheet ----------------------------------------------------------------------------

_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _rules(qss: str) -> list[tuple[str, str]]:
    return [(sel.strip(), body) for sel, body in _RULE.findall(qss)]


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=_pair_id)
def test_qss_draws_a_focus_ring_for_every_focusable_widget(theme: Theme) -> None:
    rules = _rules(render_qss(theme))
    for widget in FOCUSABLE_SELECTORS:
        rings = [
            body
            for selector, body in rules
            if f"{widget}:focus" in [s.strip() for s in selector.split(",")]
        ]
        assert any(theme.focus_ring in body for body in rings), f"{theme.name}: {widget}"


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=_pair_id)
def test_qss_uses_only_theme_colours(theme: Theme) -> None:
    qss = render_qss(theme)
    used = set(re.findall(r"#[0-9a-fA-F]{3,8}\b", qss))
    assert used, "no colours rendered"
    assert used <= set(theme.tokens().values())


def test_qss_is_well_formed_and_differs_per_theme() -> None:
    sheets = {name: render_qss(theme) for name, theme in THEMES.items()}
    for qss in sheets.values():
        assert qss.count("{") == qss.count("}")
        assert "".join(f"{s}{{{b}}}" for s, b in _rules(qss)).count("{") == qss.count("{")
    assert len(set(sheets.values())) == len(sheets)


def test_qss_scales_fonts_and_focus_ring() -> None:
    normal = render_qss(LIGHT, 1.0)
    large = render_qss(LIGHT, 2.0)
    assert "font-size: 10pt" in normal
    assert "font-size: 20pt" in large
    assert f"border: 2px solid {LIGHT.focus_ring}" in normal
    assert f"border: 4px solid {LIGHT.focus_ring}" in large


@pytest.mark.parametrize(
    "scale", [0.0, -1.0, MIN_SCALE - 0.01, MAX_SCALE + 0.01, math.nan, math.inf]
)
def test_qss_rejects_unusable_scales(scale: float) -> None:
    with pytest.raises(ValueError, match="font scale"):
        render_qss(LIGHT, scale)


def test_theme_package_never_imports_qt() -> None:
    code = (
        "import sys, csdesk.theme, csdesk.theme.qss, csdesk.theme.themes;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'PySide6', 'shiboken6'});"
        "print(*bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"Qt modules imported: {result.stdout} {result.stderr}"


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=_pair_id)
def test_qss_styles_spin_boxes_as_line_edits(theme: Theme) -> None:
    rules = _rules(render_qss(theme))
    bodies = [body for selector, body in rules if "QLineEdit" in selector.split(", ")]
    for spin in ("QSpinBox", "QDoubleSpinBox", "QDateTimeEdit"):
        assert any(body in bodies for selector, body in rules if spin in selector.split(", ")), spin
        assert spin in FOCUSABLE_SELECTORS


def test_qss_sizes_the_arrows_from_the_text_and_names_the_theme_arrows() -> None:
    arrows = {"down": "/x/down.svg", "up": "/x/up.svg", "down_disabled": "/x/d.svg"}
    normal = render_qss(LIGHT, 1.0, arrows=arrows, line=16)
    large = render_qss(LIGHT, 2.0, arrows=arrows, line=31)
    button, arrow = arrow_sizes(16)
    big_button, big_arrow = arrow_sizes(31)
    assert big_button >= 2 * button - 2 and big_arrow >= 2 * arrow - 2
    assert f"width: {button}px" in normal and f"width: {big_button}px" in large
    assert f"width: {big_arrow}px; height: {big_arrow}px" in large
    assert 'image: url("/x/down.svg")' in large and 'image: url("/x/up.svg")' in large
    assert 'image: url("/x/d.svg")' in large
    # Without a measured line, the 100 % line height scaled.
    assert render_qss(LIGHT, 2.0, arrows=arrows) == render_qss(LIGHT, 2.0, arrows=arrows, line=32)
