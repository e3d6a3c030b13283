"""Getting around the views, for ``MainWindow`` (a mixin): every view by keyboard, and
searches that look everywhere unless the agent keeps them in the view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from csdesk.app.present import view_label
from csdesk.i18n import _
from csdesk.ui.choose import choose_item

if TYPE_CHECKING:
    from csdesk.ui.panels.inbox import InboxPanel
    from csdesk.ui.panels.sidebar import ViewList


class ViewNavigation:
    if TYPE_CHECKING:  # provided by MainWindow
        views: ViewList
        inbox: InboxPanel
        query: str
        search_in_view: bool

        def reload_list(self) -> None: ...
        @staticmethod
        def _all_views() -> tuple[str, ...]: ...

    def go_to_view(self) -> None:
        """Every view from a list, by keyboard (Alt+1 to Alt+9 reach only the first nine)."""
        views = self._all_views()
        labels = [self.views.item(n).text() or view_label(v) for n, v in enumerate(views)]
        assert isinstance(self, QWidget)
        row = choose_item(
            self,
            _("Go to view"),
            _("Show the conversations of:"),
            labels,
            self.views.currentRow(),
            name="go_to_view_dialog",
        )
        if row is not None:
            self.views.choose(row)
        self.inbox.list.setFocus()

    def _toggle_scope(self) -> None:
        self.search_in_view = not self.search_in_view
        self.reload_list()

    def _show_search_scope(self, view: str, found: bool) -> None:
        """Say where the search looked, and offer the other way (the view as a filter the
        agent can see and lift)."""
        name, q = view_label(view), self.query
        if self.search_in_view:
            self.inbox.show_scope(
                _("Searching in {view} only.").format(view=name), _("Search everywhere")
            )
            empty = _("No conversation in {view} matches “{q}”.").format(view=name, q=q)
        else:
            self.inbox.show_scope(
                _("Searching all conversations."),
                _("Search only in {view}").format(view=name),
            )
            empty = _("No conversation anywhere matches “{q}”.").format(q=q)
        self.inbox.show_empty(None if found else empty)
