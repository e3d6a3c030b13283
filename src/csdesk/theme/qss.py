"""Render the application style sheet from a theme and a font scale.

A pure string function so it is testable without a display and so the ui layer applies one sheet
with ``QApplication.setStyleSheet``. Every colour comes from a token (a test checks that no literal
colour slips in). Qt style sheets have no ``outline``, so focus is drawn as a thicker border in the
focus-ring colour; the padding shrinks by the same amount so nothing shifts when focus moves.

Widgets opt into variants with dynamic properties, which are the contract with ``csdesk.ui``:
``role`` on labels and buttons (:data:`ROLES`), ``bubble`` on message frames (:data:`BUBBLES`)
and ``banner`` on notice frames (:data:`BANNERS`). Link colour is not expressible in QSS; the ui
layer sets ``QPalette.Link`` from ``theme.link``. The arrows of combo and spin boxes are
images the ui layer writes in theme colours (``arrows``), in buttons a line of text wide
(``line``), so at 200 % text they are twice the target and keep the text's contrast.
"""

from __future__ import annotations

import math

from csdesk.theme.tokens import Theme

__all__ = [
    "ARROWS",
    "BANNERS",
    "BUBBLES",
    "FOCUSABLE_SELECTORS",
    "MAX_SCALE",
    "MIN_SCALE",
    "ROLES",
    "SPIN_BOXES",
    "arrow_sizes",
    "render_qss",
]

MIN_SCALE = 0.75
MAX_SCALE = 3.0
BASE_POINT_SIZE = 10.0

ROLES = ("muted", "heading", "primary", "error", "warning", "success", "info", "badge")
BUBBLES = ("inbound", "outbound", "note")
BANNERS = ("error", "warning", "success", "info")

FOCUSABLE_SELECTORS = (
    "QLineEdit",
    "QTextEdit",
    "QPlainTextEdit",
    "QPushButton",
    "QToolButton",
    "QListView",
    "QTreeView",
    "QTableView",
    "QComboBox",
    "QSpinBox",
    "QDoubleSpinBox",
    "QDateTimeEdit",
    "QCheckBox",
    "QRadioButton",
    "QTabBar::tab",
)
"""Everything reachable by Tab gets a visible focus ring (WCAG 2.4.7)."""

#: Spin boxes: QDateEdit and QTimeEdit are QDateTimeEdits, so these rules reach them too.
SPIN_BOXES = ("QSpinBox", "QDoubleSpinBox", "QDateTimeEdit")
_BORDERED = ("QLineEdit", "QTextEdit", "QPlainTextEdit", "QComboBox", *SPIN_BOXES)
#: The arrow images the ui layer writes in theme colours (``arrows``): down/up in ``text``,
#: and the same in ``text_disabled`` for a disabled control.
ARROWS = ("down", "up", "down_disabled", "up_disabled")


def _pt(size: float) -> str:
    return f"{round(size, 1):g}pt"


#: The line height (px) of the body font at 100 % text: DejaVu Sans 10 pt at 96 dpi.
BASE_LINE = 16


def arrow_sizes(line: int) -> tuple[int, int]:
    """(button width, arrow side) in px for a body font ``line`` px high: combo box drop-down
    and spin box buttons follow the text, so 200 % text gets targets and arrows twice as big."""
    line = max(8, line)
    return max(14, round(line * 1.15)), max(8, round(line * 0.7))


def _sub_controls(t: Theme, line: int, radius: int, arrows: dict[str, str] | None) -> list[str]:
    """The combo box's drop-down and the spin boxes' up/down buttons, sized from ``line`` and
    separated from the text by a border, with arrows drawn in the theme's text colour."""
    button, arrow = arrow_sizes(line)

    def each(sub: str, widgets: tuple[str, ...] = SPIN_BOXES) -> str:
        return ", ".join(f"{w}::{sub}" for w in widgets)

    parts = [
        # A date edit with a calendar pop-up has a combo box's drop-down, not spin buttons.
        f"QComboBox::drop-down, QDateTimeEdit::drop-down {{ subcontrol-origin: border;"
        f" subcontrol-position: top right;"
        f" width: {button}px; border: none; border-left: 1px solid {t.control_border};"
        f" border-top-right-radius: {radius}px; border-bottom-right-radius: {radius}px;"
        f" background-color: transparent; }}",
        f"{each('up-button')} {{ subcontrol-origin: border; subcontrol-position: top right;"
        f" width: {button}px; border: none; border-left: 1px solid {t.control_border};"
        f" border-bottom: 1px solid {t.control_border};"
        f" border-top-right-radius: {radius}px; background-color: transparent; }}",
        f"{each('down-button')} {{ subcontrol-origin: border;"
        f" subcontrol-position: bottom right; width: {button}px; border: none;"
        f" border-left: 1px solid {t.control_border};"
        f" border-bottom-right-radius: {radius}px; background-color: transparent; }}",
        f"{each('up-button:hover')}, {each('down-button:hover')},"
        f" QComboBox::drop-down:hover, QDateTimeEdit::drop-down:hover"
        f" {{ background-color: {t.hover_bg}; }}",
        f"{each('up-arrow')}, {each('down-arrow')}, QComboBox::down-arrow,"
        f" QPushButton::menu-indicator {{ width: {arrow}px; height: {arrow}px; }}",
        # A button with a menu (Export CSV): its arrow inside the right padding.
        "QPushButton::menu-indicator { subcontrol-origin: padding;"
        " subcontrol-position: center right; }",
    ]
    if arrows:
        down, up = arrows.get("down"), arrows.get("up")
        off_down = arrows.get("down_disabled", down)
        off_up = arrows.get("up_disabled", up)
        if down:
            parts.append(
                f"{each('down-arrow')}, QComboBox::down-arrow, QPushButton::menu-indicator"
                f' {{ image: url("{down}"); }}'
            )
        if up:
            parts.append(f'{each("up-arrow")} {{ image: url("{up}"); }}')
        if off_down:
            parts.append(
                f"{each('down-arrow:disabled')}, {each('down-arrow:off')},"
                f" QComboBox::down-arrow:disabled, QPushButton::menu-indicator:disabled"
                f' {{ image: url("{off_down}"); }}'
            )
        if off_up:
            parts.append(
                f'{each("up-arrow:disabled")}, {each("up-arrow:off")} {{ image: url("{off_up}"); }}'
            )
    return parts


def render_qss(
    theme: Theme,
    scale: float = 1.0,
    *,
    tick_image: str | None = None,
    arrows: dict[str, str] | None = None,
    line: int | None = None,
) -> str:
    """Style sheet text for ``theme`` with fonts and spacing multiplied by ``scale``.

    The scale is the user's zoom setting; it is bounded because outside that range the layout
    breaks rather than helps, and a corrupt setting should fail loudly here, not draw 0 pt text.
    ``tick_image``: a file with the check mark drawn in ``accent_text`` (the ui layer writes
    it), so a checked box shows a tick, not only a filled square, in every theme.
    ``arrows``: files for :data:`ARROWS` (chevrons in ``text`` / ``text_disabled``) for combo
    and spin boxes; without them Qt's own arrows, at the right size. ``line``: the body font's
    line height in px as the ui layer measured it (QFontMetrics); without it, 100 % is
    :data:`BASE_LINE` px, scaled.
    """
    if not math.isfinite(scale) or not MIN_SCALE <= scale <= MAX_SCALE:
        raise ValueError(f"font scale must be between {MIN_SCALE} and {MAX_SCALE}, got {scale!r}")
    t = theme
    font = _pt(BASE_POINT_SIZE * scale)
    heading = _pt(BASE_POINT_SIZE * scale * 1.3)
    small = _pt(BASE_POINT_SIZE * scale * 0.9)
    pad_y = max(2, round(4 * scale))
    pad_x = max(3, round(6 * scale))
    ring = max(2, round(2 * scale))
    radius = max(2, round(4 * scale))
    # A 1px border plus padding normally; on focus a ``ring``-px border, so shrink the padding.
    focus_pad_y = max(0, pad_y - (ring - 1))
    focus_pad_x = max(0, pad_x - (ring - 1))
    bar = max(8, round(12 * scale))

    parts: list[str] = [
        f"QWidget {{ font-size: {font}; color: {t.text}; background-color: {t.window_bg}; }}",
        f"QWidget:disabled {{ color: {t.text_disabled}; }}",
        f"QFrame, QAbstractScrollArea {{ background-color: {t.surface}; }}",
        # Labels show their container's colour (banners, bubbles, status bar) rather than a
        # surface-coloured patch; QLabel is a QFrame, so this must follow the QFrame rule.
        "QLabel { background-color: transparent; }",
        f"QSplitter::handle {{ background-color: {t.border}; }}",
        # Text entry
        ", ".join(_BORDERED) + f" {{ background-color: {t.control_bg}; color: {t.text};"
        f" border: 1px solid {t.control_border}; border-radius: {radius}px;"
        f" padding: {pad_y}px {pad_x}px; selection-background-color: {t.selection_bg};"
        f" selection-color: {t.selection_text}; placeholder-text-color: {t.text_muted}; }}",
        *_sub_controls(t, line or round(BASE_LINE * scale), radius, arrows),
        f"QComboBox QAbstractItemView {{ background-color: {t.control_bg}; color: {t.text};"
        f" selection-background-color: {t.selection_bg}; selection-color: {t.selection_text}; }}",
        # Buttons
        f"QPushButton, QToolButton {{ background-color: {t.surface_alt}; color: {t.text};"
        f" border: 1px solid {t.control_border}; border-radius: {radius}px;"
        f" padding: {pad_y}px {pad_x * 2}px; }}",
        f"QPushButton:hover, QToolButton:hover, QPushButton:pressed, QToolButton:pressed"
        f" {{ background-color: {t.hover_bg}; }}",
        f'QPushButton:default, QPushButton[role="primary"] {{ background-color: {t.accent};'
        f" color: {t.accent_text}; border-color: {t.accent}; }}",
        f'QPushButton:default:hover, QPushButton[role="primary"]:hover,'
        f' QPushButton[role="primary"]:pressed {{ background-color: {t.accent_hover}; }}',
        f"QPushButton:disabled, QToolButton:disabled {{ color: {t.text_disabled}; }}",
        f"QCheckBox, QRadioButton {{ background-color: transparent; padding: {pad_y}px;"
        f" border: {ring}px solid transparent; border-radius: {radius}px; }}",
        f"QCheckBox::indicator, QRadioButton::indicator {{ border: 1px solid {t.control_border};"
        f" background-color: {t.control_bg}; width: {bar}px; height: {bar}px; }}",
        f"QCheckBox::indicator:checked, QRadioButton::indicator:checked"
        f" {{ background-color: {t.accent}; border-color: {t.accent}; }}",
        *(
            [f'QCheckBox::indicator:checked {{ image: url("{tick_image}"); }}']
            if tick_image
            else []
        ),
        # Lists: inbox, thread, tables
        f"QAbstractItemView {{ background-color: {t.surface}; color: {t.text};"
        f" alternate-background-color: {t.surface_alt}; border: {ring}px solid {t.border};"
        f" selection-background-color: {t.selection_bg}; selection-color: {t.selection_text}; }}",
        f"QAbstractItemView::item {{ padding: {pad_y}px {pad_x}px;"
        f" border: {ring}px solid transparent; }}",
        f"QAbstractItemView::item:hover {{ background-color: {t.hover_bg}; color: {t.text}; }}",
        f"QAbstractItemView::item:selected {{ background-color: {t.selection_bg};"
        f" color: {t.selection_text}; }}",
        f"QHeaderView::section {{ background-color: {t.surface_alt}; color: {t.text};"
        f" border: none; border-bottom: 1px solid {t.border}; padding: {pad_y}px {pad_x}px; }}",
        # Tabs: the selected tab is marked by a bar, not by colour alone (WCAG 1.4.1)
        f"QTabBar::tab {{ background-color: {t.surface_alt}; color: {t.text_muted};"
        f" border: {ring}px solid transparent; border-bottom: {ring + 1}px solid {t.border};"
        f" padding: {pad_y}px {pad_x * 2}px; }}",
        f"QTabBar::tab:selected {{ background-color: {t.surface}; color: {t.text};"
        f" border-bottom: {ring + 1}px solid {t.accent}; }}",
        f"QTabBar::tab:hover {{ background-color: {t.hover_bg}; color: {t.text}; }}",
        # Status bar, tool tips, menus, scroll bars
        f"QStatusBar, QStatusBar QLabel {{ background-color: {t.statusbar_bg};"
        f" color: {t.statusbar_text}; }}",
        f"QToolTip {{ background-color: {t.tooltip_bg}; color: {t.tooltip_text};"
        f" border: 1px solid {t.tooltip_text}; padding: {pad_y}px; }}",
        f"QMenu {{ background-color: {t.surface}; color: {t.text};"
        f" border: 1px solid {t.control_border}; }}",
        f"QMenu::item:selected {{ background-color: {t.selection_bg};"
        f" color: {t.selection_text}; }}",
        f"QScrollBar:vertical {{ background-color: {t.surface}; width: {bar}px; margin: 0; }}",
        f"QScrollBar:horizontal {{ background-color: {t.surface}; height: {bar}px; margin: 0; }}",
        f"QScrollBar::handle {{ background-color: {t.scrollbar_handle};"
        f" border-radius: {bar // 2}px; min-height: {bar * 2}px; min-width: {bar * 2}px; }}",
        "QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; }",
        # Roles on labels
        f'QLabel[role="muted"] {{ color: {t.text_muted}; font-size: {small}; }}',
        f'QLabel[role="heading"] {{ font-size: {heading}; font-weight: 600; }}',
        *(
            f'QLabel[role="{kind}"] {{ color: {t.colour(kind + "_fg")}; }}'
            for kind in ("error", "warning", "success", "info")
        ),
        f'QLabel[role="badge"] {{ background-color: {t.badge_bg}; color: {t.badge_text};'
        f" border-radius: {radius * 2}px; padding: 0 {pad_x}px; font-weight: 600; }}",
        # Banners and message bubbles
        *(
            f'QFrame[banner="{kind}"] {{ background-color: {t.colour(kind + "_bg")};'
            f" color: {t.colour(kind + '_fg')}; border: 1px solid {t.colour(kind + '_fg')};"
            f" border-radius: {radius}px; padding: {pad_y}px {pad_x}px; }}"
            for kind in BANNERS
        ),
        *(
            f'QFrame[bubble="{kind}"], QFrame[bubble="{kind}"] QLabel'
            f" {{ background-color: {t.colour(token + '_bg')};"
            f" color: {t.colour(token + '_text')}; }}"
            for kind, token in zip(
                BUBBLES, ("inbound_bubble", "outbound_bubble", "note_bubble"), strict=True
            )
        ),
        *(
            f'QFrame[bubble="{kind}"] {{ border-radius: {radius * 2}px;'
            f" padding: {pad_y * 2}px {pad_x * 2}px; }}"
            for kind in BUBBLES
        ),
        f'QFrame[bubble="note"] {{ border: 1px dashed {t.control_border}; }}',
        f'QFrame[bubble] QLabel[role="muted"] {{ color: {t.text_muted}; }}',
        # Chips: status, priority, tags, SLA in the conversation header; the word is the
        # meaning, the colour only repeats it.
        f"QLabel[chip] {{ border-radius: {radius * 2}px; padding: 1px {pad_x}px;"
        f" font-size: {small}; border: 1px solid {t.control_border};"
        f" background-color: {t.surface_alt}; color: {t.text}; }}",
        *(
            f'QLabel[chip="{kind}"] {{ background-color: {t.colour(kind + "_bg")};'
            f" color: {t.colour(kind + '_fg')}; border-color: {t.colour(kind + '_fg')}; }}"
            for kind in BANNERS
        ),
        f"QToolBar {{ background-color: {t.surface}; border: none; spacing: {pad_x}px; }}",
        # Icon + text tool buttons (conversation actions): the icon is the padding's share.
        f"QToolButton {{ padding: {pad_y}px {pad_x}px; }}",
        # Focus last, so it wins over every rule above.
        f"{', '.join(s + ':focus' for s in _BORDERED)} {{ border: {ring}px solid {t.focus_ring};"
        f" padding: {focus_pad_y}px {focus_pad_x}px; }}",
        f"QPushButton:focus {{ border: {ring}px solid {t.focus_ring};"
        f" padding: {focus_pad_y}px {max(0, pad_x * 2 - (ring - 1))}px; }}",
        f"QToolButton:focus {{ border: {ring}px solid {t.focus_ring};"
        f" padding: {focus_pad_y}px {focus_pad_x}px; }}",
        f"QCheckBox:focus, QRadioButton:focus, QTabBar::tab:focus"
        f" {{ border: {ring}px solid {t.focus_ring}; }}",
        f"QListView:focus, QTreeView:focus, QTableView:focus {{ border-color: {t.focus_ring}; }}",
        f"QAbstractItemView::item:focus {{ border: {ring}px solid {t.focus_ring}; }}",
        f"QAbstractItemView::item:selected:focus {{ border: {ring}px solid {t.selection_text}; }}",
    ]
    return "\n".join(parts) + "\n"
