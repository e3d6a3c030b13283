"""Issue 10 item 5: the inbox over many conversations. Every conversation is a row of the
view from the start, placed by arithmetic (rows of one height), and rows are loaded only as
they are shown: the keyboard reaches every conversation (End, PageDown, Down, J) loading only
what it shows, the list says how many it holds, a stale query's answer is never shown, a
reload keeps the open conversation highlighted without the GUI thread scanning the list, and
typing a search does not recount the side bar."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QFont, QFontMetrics
from pytestqt.qtbot import QtBot

from csdesk.app.inbox import InboxRow, Sort, View
from csdesk.theme.themes import get_theme
from csdesk.ui.latest import Latest
from csdesk.ui.models.inbox_model import CHUNK, InboxModel
from csdesk.ui.panels.inbox import InboxPanel, row_height
from csdesk.ui.tasks import Tasks
from tests.gui.conftest import Desk
from tests.helpers.server import ServerProcess

N = 8_000


def _rows(ids: Sequence[str]) -> dict[str, InboxRow]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        i: InboxRow(
            i,
            "email",
            f"Customer {i}",
            f"Question {i}",
            "",
            "open",
            "normal",
            None,
            None,
            None,
            None,
            None,
            None,
            at,
            False,
            (),
        )
        for i in ids
    }


def _panel(
    qtbot: QtBot, n: int = N, fetch: Callable[[Sequence[str]], dict[str, InboxRow]] = _rows
) -> tuple[InboxPanel, InboxModel, list[str]]:
    model = InboxModel(fetch)
    panel = InboxPanel(model, get_theme("light"))
    qtbot.addWidget(panel)
    panel.resize(500, 600)
    panel.show()
    ids = [f"c{k:06d}" for k in range(n)]
    model.set_ids(ids)
    panel.list.setFocus()
    panel.list.selectionModel().setCurrentIndex(
        model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    return panel, model, ids


def test_end_reaches_the_last_of_thousands_of_rows_at_once(qtbot: QtBot) -> None:
    panel, model, ids = _panel(qtbot)
    assert model.rowCount() == model.total() == N  # the view knows every row
    qtbot.keyClick(panel.list, Qt.Key.Key_End)
    assert panel.list.currentIndex().row() == N - 1
    assert panel.current_id() == ids[-1]
    view = panel.list
    qtbot.waitUntil(  # and it is on screen, selected
        lambda: view.viewport().rect().intersects(view.visualRect(view.currentIndex()))
    )
    assert view.selectionModel().isRowSelected(N - 1)
    qtbot.keyClick(panel.list, Qt.Key.Key_Home)
    assert panel.current_id() == ids[0]


def test_end_of_a_long_list_loads_only_the_rows_it_shows(qtbot: QtBot) -> None:
    """End at 300,000 conversations: the last one is current, selected and on screen, and
    the rows the model loaded are the first screen and the last, nothing in between (a
    list view laid out every row up to the end, one Python call each)."""
    asked: list[str] = []

    def fetch(ids: Sequence[str]) -> dict[str, InboxRow]:
        asked.extend(ids)
        return _rows(ids)

    n = 300_000
    panel, model, ids = _panel(qtbot, n, fetch)
    view = panel.list
    qtbot.waitUntil(lambda: bool(asked))  # the first screen painted
    asked.clear()
    counted: list[int] = []
    real_count = model.rowCount

    def row_count(parent: Any = QModelIndex()) -> int:  # noqa: B008
        counted.append(1)
        return real_count(parent)

    model.rowCount = row_count  # type: ignore[method-assign]
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == n - 1 and panel.current_id() == ids[-1]
    assert view.selectionModel().isRowSelected(n - 1)
    qtbot.waitUntil(lambda: view.viewport().rect().intersects(view.visualRect(view.currentIndex())))
    qtbot.waitUntil(lambda: ids[-1] in asked)  # painted
    assert len(asked) <= 2 * 64  # a batch or two around what is shown
    assert min(ids.index(i) for i in asked) > n - 2 * 64
    assert view.indexAt(view.viewport().rect().bottomLeft()).row() in (n - 1, -1)
    assert 0 < len(counted) < 1_000  # no walk over the rows (a list view: one per row)
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert n - 40 < view.currentIndex().row() < n - 1


def test_page_down_down_and_j_go_past_the_shown_chunk(qtbot: QtBot) -> None:
    panel, model, ids = _panel(qtbot)
    rows = [0]
    for _n in range(200):
        qtbot.keyClick(panel.list, Qt.Key.Key_PageDown)
        rows.append(panel.list.currentIndex().row())
        if rows[-1] > CHUNK:
            break
    assert rows[-1] > CHUNK and rows == sorted(rows) and len(set(rows)) == len(rows)
    panel.select_id(ids[CHUNK * 3 - 1])  # the last row of the third chunk
    assert panel.list.currentIndex().row() == CHUNK * 3 - 1
    qtbot.keyClick(panel.list, Qt.Key.Key_Down)
    assert panel.current_id() == ids[CHUNK * 3]
    last = CHUNK * 4 - 1  # past the rows whose positions are kept
    panel.select_id(ids[last])
    panel.step(1)  # J
    assert panel.current_id() == ids[last + 1]
    assert model.row_of(ids[N - 10]) == N - 10  # positions beyond the shown rows, on demand
    assert model.row_of("not there") is None


def test_the_list_says_how_many_conversations_it_holds_in_all(qtbot: QtBot) -> None:
    panel, model, _ids = _panel(qtbot)
    assert model.rowCount() == N
    assert panel.list.accessibleDescription().startswith(f"{N} conversations.")
    model.set_ids(["a"])
    assert panel.list.accessibleDescription().startswith("1 conversation.")


def test_a_query_asked_while_one_runs_replaces_the_waiting_one_and_the_stale_answer_is_dropped(
    qtbot: QtBot,
) -> None:
    tasks = Tasks()
    latest = Latest(tasks)
    gate = threading.Event()
    ran: list[str] = []
    shown: list[str] = []

    def query(name: str) -> Callable[[], str]:
        def run() -> str:
            ran.append(name)
            if name == "first":
                gate.wait(10)
            return name

        return run

    try:
        latest.submit(query("first"), shown.append, lambda e: shown.append(f"error {e}"))
        qtbot.waitUntil(lambda: ran == ["first"])
        latest.submit(query("second"), shown.append, lambda e: shown.append(f"error {e}"))
        latest.submit(query("third"), shown.append, lambda e: shown.append(f"error {e}"))
        assert latest.busy
        gate.set()
        qtbot.waitUntil(lambda: not latest.busy, timeout=10_000)
        assert ran == ["first", "third"]  # "second" was replaced before it ran
        assert shown == ["third"]  # "first" finished after "third" was asked: dropped
        assert latest.dropped == 1
    finally:
        gate.set()
        tasks.shutdown()


def test_typing_a_search_does_not_recount_the_side_bar(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    qtbot.waitUntil(desk.synced, timeout=30_000)  # no change set will come meanwhile
    counted: list[int] = []
    real = desk.ws.counts

    def counts(now: datetime | None = None) -> dict[str, int]:
        counted.append(1)
        return real(now)

    desk.ws.counts = counts  # type: ignore[method-assign]
    w.reload_list()  # a change or the clock: counts come with it
    qtbot.waitUntil(lambda: bool(counted) and not w._reorder_pending, timeout=20_000)
    before = len(counted)
    for text in ("ord", "orde", "order"):
        w.inbox.search.setText(text)
        qtbot.waitUntil(lambda t=text: w.query == t and not w._reorder_pending, timeout=10_000)
    assert len(counted) == before
    w.reload_list()
    qtbot.waitUntil(lambda: len(counted) > before and not w._reorder_pending, timeout=10_000)


def test_arrows_after_the_open_conversation_left_go_on_from_its_place_like_j_and_k(
    qtbot: QtBot,
) -> None:
    """Parked (the open conversation left the list, nothing highlighted): Down lands on the
    row that took its place and Up on the one above, as J and K do, not on the first
    conversation; End still reaches the last one, Home the first."""
    panel, _model, ids = _panel(qtbot)
    for key, want in (
        (Qt.Key.Key_Down, 5_000),
        (Qt.Key.Key_Up, 4_999),
        (Qt.Key.Key_End, N - 1),
        (Qt.Key.Key_Home, 0),
    ):
        panel.park(5_000)
        assert panel.current_id() is None
        qtbot.keyClick(panel.list, key)
        assert panel.current_id() == ids[want], key
    panel.park(5_000)
    panel.step(1)  # J: the same place as Down
    assert panel.current_id() == ids[5_000]


def test_end_with_nothing_highlighted_reaches_the_last_conversation(qtbot: QtBot) -> None:
    panel, model, ids = _panel(qtbot)
    model.set_ids(ids[:300])  # the list shrank: nothing highlighted, nothing parked
    assert panel.current_id() is None
    qtbot.keyClick(panel.list, Qt.Key.Key_End)
    assert panel.current_id() == ids[299]


class _GuiScans(list[str]):
    """A list that notes every ``index`` scan made of it on the GUI thread."""

    gui: list[int] = []  # noqa: RUF012 (one shared note, reset by the test)

    def index(self, value: str, start: Any = 0, stop: Any = None) -> int:
        if threading.current_thread() is threading.main_thread():
            _GuiScans.gui.append(start)
        return super().index(value, start, len(self) if stop is None else stop)


def test_the_open_conversation_stays_highlighted_past_the_shown_chunk_across_reloads(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    """Also: a reload finds the open conversation's new row on the worker; the GUI thread
    never scans the list for it (a scan of a million ids is a pause)."""
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    real = desk.ws.ordered_ids
    pad = [f"pad{n:05d}" for n in range(5_000)]
    order: dict[str, list[str]] = {}

    def ordered_ids(
        view: str, sort: Sort, query: str = "", now: datetime | None = None, only: object = None
    ) -> list[str]:  # the demo's conversations after 5,000 others: past the shown chunk
        ids = real(view, sort, query, now)
        return _GuiScans(order.get("ids") or pad + list(ids))

    desk.ws.ordered_ids = ordered_ids  # type: ignore[assignment]
    w.reload_list()
    qtbot.waitUntil(lambda: not w._reorder_pending and w.model.total() > 5_000, timeout=20_000)
    ids = list(w.model.ids())
    target = ids[5_001]
    w.inbox.list.setFocus()
    assert w.inbox.select_id(target)
    qtbot.waitUntil(lambda: w.open_id == target and w.open_conv is not None, timeout=10_000)
    _GuiScans.gui.clear()
    # A new message: another conversation moves to the top; the open one is one row lower.
    order["ids"] = [ids[5_003]] + [i for i in ids if i != ids[5_003]]
    w.reload_list()
    qtbot.waitUntil(
        lambda: not w._reorder_pending and w.model.ids()[0] == ids[5_003], timeout=20_000
    )
    assert w.inbox.current_id() == target == w.open_id
    assert w.inbox.list.currentIndex().row() == 5_002
    assert w.inbox.list.hasFocus() or not w.isActiveWindow()
    assert w.conversation.header.text() and w.open_conv is not None and w.open_conv.id == target
    assert _GuiScans.gui == []
    # It leaves the view: nothing highlighted, J goes on from its place.
    now_shown = list(w.model.ids())
    order["ids"] = [i for i in now_shown if i != target]
    w.reload_list()
    qtbot.waitUntil(lambda: not w._reorder_pending and target not in w.model.ids(), timeout=20_000)
    assert w.inbox.current_id() is None and w.open_id == target
    assert _GuiScans.gui == []  # the worker found it gone
    w.inbox.step(1)
    qtbot.waitUntil(lambda: w.open_id == now_shown[5_003], timeout=10_000)
    assert w.inbox.current_id() == w.open_id


def test_resolving_updates_the_side_bar_counts_at_once_and_a_failed_query_does_not_wedge(
    qtbot: QtBot, demo_server: ServerProcess, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory(demo_server, "demo")
    w = desk.window
    w._clock.stop()  # no 30 s tick: the count must come with the change itself
    # Caught up first: counts taken while the first sync's pages still arrive grow after.
    qtbot.waitUntil(desk.synced, timeout=30_000)
    w.views.choose(list(w._all_views()).index(View.MINE))
    qtbot.waitUntil(
        lambda: (
            not w._reorder_pending
            and w.shown_view == View.MINE
            and w.views._counts.get(View.MINE) == desk.ws.counts()[View.MINE]
        ),
        timeout=20_000,
    )
    before = w.views._counts[View.MINE]
    assert before > 0
    cid = w.model.ids()[0]
    assert w.inbox.select_id(cid)
    qtbot.waitUntil(lambda: w.open_conv is not None and w.open_conv.id == cid, timeout=10_000)
    w.resolve()
    qtbot.waitUntil(lambda: w.views._counts.get(View.MINE) == before - 1, timeout=10_000)
    # A failing query: a clear notice, and the next query runs.
    real = desk.ws.ordered_ids

    def boom(*a: object, **k: object) -> list[str]:
        raise RuntimeError("disk on fire")

    desk.ws.ordered_ids = boom  # type: ignore[assignment]
    w.reload_list()
    qtbot.waitUntil(lambda: not w._reorder_pending, timeout=10_000)
    assert "disk on fire" in w.notice_label.text()
    desk.ws.ordered_ids = real  # type: ignore[method-assign]
    w.inbox.search.setText("zzzz-nothing")
    qtbot.waitUntil(lambda: not w._reorder_pending and w.model.total() == 0, timeout=10_000)


def test_typing_a_letter_in_the_list_does_not_read_every_row(qtbot: QtBot) -> None:
    """Qt's type-ahead reads rows one by one until one matches (all of them when none
    does): at a million conversations a frozen window. Letters leave the list as it is."""
    asked: list[str] = []

    def fetch(ids: Sequence[str]) -> dict[str, InboxRow]:
        asked.extend(ids)
        return _rows(ids)

    panel, _model, ids = _panel(qtbot, fetch=fetch)
    qtbot.waitUntil(lambda: bool(asked))  # the first screen painted
    asked.clear()
    qtbot.keyClick(panel.list, Qt.Key.Key_X)
    qtbot.keyClick(panel.list, Qt.Key.Key_Q)
    assert panel.current_id() == ids[0]
    assert len(asked) <= 64  # at most a batch (a repaint), never the list


def test_rows_keep_one_height_that_follows_the_text_size(qtbot: QtBot) -> None:
    """Rows are placed by arithmetic, so their one height must follow the font (text
    scaling): two lines of text, never clipped."""
    panel, model, _ids = _panel(qtbot)
    view = panel.list
    for size in (10, 20):
        font = QFont(view.font())
        font.setPointSize(size)
        view.setFont(font)
        want = row_height(font)
        assert want >= 2 * QFontMetrics(font).height()
        qtbot.waitUntil(lambda want=want: view.visualRect(model.index(1)).height() == want)
        assert (
            view.visualRect(model.index(N - 1)).top()
            == view.visualRect(model.index(0)).top() + (N - 1) * want
        )


class _SliceWatch(list[str]):
    """A list that notes the length of every slice taken of it."""

    slices: list[int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            self.slices.append(len(range(*key.indices(len(self)))))
        return super().__getitem__(key)


def test_moving_on_after_an_action_finds_the_neighbour_without_copying_the_list(
    qtbot: QtBot,
) -> None:
    """Resolve and snooze go on to the next conversation; at a million ids, copying the list
    to find it held the window for tens of milliseconds."""
    model = InboxModel(_rows)
    ids = _SliceWatch(f"c{n:06d}" for n in range(300_000))
    ids.slices = []
    model.set_ids(ids)
    assert model.neighbour(ids[150_000]) == ids[150_001]
    assert model.neighbour(ids[0]) == ids[1]
    assert model.neighbour(ids[-1]) == ids[-2]  # the last: the one before it
    assert model.neighbour("gone") is None
    assert max(ids.slices) <= CHUNK  # the first chunk's positions, nothing bigger
    model.set_ids(["only"])
    assert model.neighbour("only") is None


def test_tabbing_back_into_the_list_while_parked_opens_nothing(qtbot: QtBot) -> None:
    """The open conversation left the list while the agent was elsewhere (the composer):
    coming back to the list must not open (and mark read) a conversation by itself."""
    panel, model, ids = _panel(qtbot)
    panel.search.setFocus()
    assert panel.select_id(ids[10])
    model.set_ids([i for i in ids if i != ids[10]])  # it left: the window parks in its place
    panel.park(10)
    opened: list[str] = []
    panel.opened.connect(opened.append)
    panel.list.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(panel.list.hasFocus)
    assert opened == [] and panel.current_id() is None
    panel.step(1)  # J: the one that took its place
    assert opened == [ids[11]]
