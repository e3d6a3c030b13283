"""The colour tokens every widget paints with, and which pairs of them must contrast.

Widgets never name a colour, only a token, so a theme is complete by construction and the
accessibility promise can be checked from data: :data:`CONTRAST_PAIRS` lists every foreground that
is drawn on a background, and the tests check each pair of every theme against WCAG.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from csdesk.theme.contrast import AA_NON_TEXT, AA_TEXT, AAA_TEXT, normalize_hex

__all__ = [
    "CHANNEL_TOKENS",
    "COLOUR_TOKENS",
    "CONTRAST_PAIRS",
    "ConformanceLevel",
    "PairKind",
    "Theme",
    "TokenPair",
    "channel_colour",
    "required_ratio",
]


class ConformanceLevel(StrEnum):
    """The WCAG level a theme promises for its text."""

    AA = "AA"
    AAA = "AAA"


class PairKind(StrEnum):
    TEXT = "text"
    NON_TEXT = "non-text"
    DISABLED_TEXT = "disabled-text"


def required_ratio(kind: PairKind, level: ConformanceLevel) -> float:
    """Minimum contrast for a pair.

    WCAG exempts disabled controls, but an agent still has to read what is greyed out, so disabled
    text gets our own floor: 3:1 normally, 4.5:1 in the high-contrast themes.
    """
    if kind is PairKind.NON_TEXT:
        return AA_NON_TEXT
    if kind is PairKind.DISABLED_TEXT:
        return AA_TEXT if level is ConformanceLevel.AAA else AA_NON_TEXT
    return AAA_TEXT if level is ConformanceLevel.AAA else AA_TEXT


def _token(purpose: str) -> Any:
    return field(metadata={"colour": True, "purpose": purpose})


@dataclass(frozen=True, slots=True)
class Theme:
    """A complete, immutable palette; colours are normalised to lowercase ``#rrggbb``."""

    name: str
    label: str  # marked with N_; translate with _() where shown
    is_dark: bool
    level: ConformanceLevel

    window_bg: str = _token("main window and splitter gutters")
    surface: str = _token("panels: inbox list, thread view, customer card")
    surface_alt: str = _token("alternate rows, headers, push buttons")
    control_bg: str = _token("text fields, composer, combo boxes")
    hover_bg: str = _token("row or button under the mouse")
    text: str = _token("body text")
    text_muted: str = _token("timestamps, previews, placeholders, secondary labels")
    text_disabled: str = _token("labels of disabled controls")
    border: str = _token("decorative separators (no contrast requirement)")
    control_border: str = _token("boundary of inputs, buttons, check boxes")
    focus_ring: str = _token("keyboard focus indicator")
    accent: str = _token("primary button, current tab marker")
    accent_hover: str = _token("primary button under the mouse or pressed")
    accent_text: str = _token("text on accent")
    selection_bg: str = _token("selected rows and selected text")
    selection_text: str = _token("text and focus ring on a selected row")
    link: str = _token("links in messages and panels")
    error_fg: str = _token("error text and icons")
    error_bg: str = _token("error banners")
    warning_fg: str = _token("warning text, SLA about to breach")
    warning_bg: str = _token("warning banners")
    success_fg: str = _token("success text, delivered ticks")
    success_bg: str = _token("success banners")
    info_fg: str = _token("informational text")
    info_bg: str = _token("informational banners, sync notices")
    inbound_bubble_bg: str = _token("customer messages")
    inbound_bubble_text: str = _token("text of customer messages")
    outbound_bubble_bg: str = _token("agent replies")
    outbound_bubble_text: str = _token("text of agent replies")
    note_bubble_bg: str = _token("internal notes, never sent to the customer")
    note_bubble_text: str = _token("text of internal notes")
    badge_bg: str = _token("unread counters")
    badge_text: str = _token("text of unread counters")
    statusbar_bg: str = _token("status bar")
    statusbar_text: str = _token("status bar text")
    tooltip_bg: str = _token("tool tips")
    tooltip_text: str = _token("tool tip text")
    scrollbar_handle: str = _token("scroll bar handle")
    presence_online: str = _token("agent presence: available")
    presence_away: str = _token("agent presence: away")
    presence_offline: str = _token("agent presence: offline")
    channel_email: str = _token("channel glyph: e-mail")
    channel_chat: str = _token("channel glyph: web chat")
    channel_phone: str = _token("channel glyph: phone")
    channel_sms: str = _token("channel glyph: SMS")
    channel_whatsapp: str = _token("channel glyph: WhatsApp")
    channel_messenger: str = _token("channel glyph: Messenger")
    channel_instagram: str = _token("channel glyph: Instagram")
    channel_telegram: str = _token("channel glyph: Telegram")

    def __post_init__(self) -> None:
        for name in COLOUR_TOKENS:
            object.__setattr__(self, name, normalize_hex(getattr(self, name)))

    def colour(self, token: str) -> str:
        """Look a token up by name (for data-driven callers such as the contrast check)."""
        if token not in COLOUR_TOKENS:
            raise KeyError(f"unknown colour token {token!r}")
        value: str = getattr(self, token)
        return value

    def tokens(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in COLOUR_TOKENS}


COLOUR_TOKENS: tuple[str, ...] = tuple(f.name for f in fields(Theme) if f.metadata.get("colour"))

CHANNEL_TOKENS: tuple[str, ...] = tuple(t for t in COLOUR_TOKENS if t.startswith("channel_"))


def channel_colour(theme: Theme, channel: str) -> str:
    """Colour for a channel value such as ``"whatsapp"`` (``csdesk.domain.enums.Channel``)."""
    token = f"channel_{channel}"
    if token not in CHANNEL_TOKENS:
        raise KeyError(f"no colour token for channel {channel!r}")
    return theme.colour(token)


@dataclass(frozen=True, slots=True)
class TokenPair:
    foreground: str
    background: str
    kind: PairKind
    where: str


def _pairs(
    kind: PairKind, where: str, fgs: tuple[str, ...], bgs: tuple[str, ...]
) -> list[TokenPair]:
    return [TokenPair(fg, bg, kind, where) for fg in fgs for bg in bgs]


_T, _N, _D = PairKind.TEXT, PairKind.NON_TEXT, PairKind.DISABLED_TEXT
_PANELS = ("window_bg", "surface", "surface_alt", "control_bg", "hover_bg")
_BUBBLES = ("inbound_bubble_bg", "outbound_bubble_bg", "note_bubble_bg")
_STATUS = ("error", "warning", "success", "info")
_ROWS = ("surface", "surface_alt", "hover_bg")

CONTRAST_PAIRS: tuple[TokenPair, ...] = tuple(
    [
        *_pairs(_T, "body and secondary text on panels", ("text", "text_muted"), _PANELS),
        *_pairs(
            _D,
            "disabled labels, buttons and fields",
            ("text_disabled",),
            ("window_bg", "surface", "surface_alt", "control_bg"),
        ),
        *_pairs(_T, "primary button", ("accent_text",), ("accent", "accent_hover")),
        TokenPair("selection_text", "selection_bg", _T, "selected row"),
        *_pairs(_T, "links", ("link",), ("window_bg", "surface", "surface_alt", *_BUBBLES)),
        *[TokenPair(f"{s}_fg", f"{s}_bg", _T, f"{s} banner") for s in _STATUS],
        *[TokenPair(f"{s}_fg", "surface", _T, f"{s} text in panels") for s in _STATUS],
        TokenPair("inbound_bubble_text", "inbound_bubble_bg", _T, "customer message"),
        TokenPair("outbound_bubble_text", "outbound_bubble_bg", _T, "agent reply"),
        TokenPair("note_bubble_text", "note_bubble_bg", _T, "internal note"),
        *_pairs(_T, "message timestamps", ("text_muted",), _BUBBLES),
        TokenPair("badge_text", "badge_bg", _T, "unread counter"),
        TokenPair("statusbar_text", "statusbar_bg", _T, "status bar"),
        TokenPair("tooltip_text", "tooltip_bg", _T, "tool tip"),
        *_pairs(_N, "control boundaries", ("control_border",), ("window_bg", "surface")),
        *_pairs(_N, "focus ring", ("focus_ring",), _PANELS),
        *_pairs(_N, "focus ring", ("focus_ring",), ("statusbar_bg",)),
        *_pairs(_N, "focus ring on a message in the thread", ("focus_ring",), _BUBBLES),
        TokenPair("selection_text", "selection_bg", _N, "focus ring on a selected row"),
        *_pairs(_N, "selected row stands out", ("selection_bg",), _ROWS),
        *_pairs(_N, "primary button shape", ("accent",), ("window_bg", "surface")),
        TokenPair("scrollbar_handle", "surface", _N, "scroll bar handle"),
        *_pairs(
            _N,
            "presence dots",
            ("presence_online", "presence_away", "presence_offline"),
            ("statusbar_bg", "surface"),
        ),
        *[
            TokenPair(t, bg, _N, "channel glyph in inbox rows")
            for t in CHANNEL_TOKENS
            for bg in _ROWS
        ],
    ]
)
"""Every foreground/background combination the UI draws, with the kind of contrast it needs."""
