"""Quality review in the window: Ctrl+Alt+R reviews the open conversation (and, on a reviewed
one, Alt+D in the dialog deletes the review after a confirmation), Ctrl+Alt+U edits
the rubric (supervisors and administrators), Ctrl+Alt+M lists "My reviews" (an agent's own,
read from the server).

Built by the window. Reviews and rubric versions go through the outbox (they work offline and
are shown at once on the supervisor's desk); "My reviews" needs the server, and says so when it
cannot be reached. Refusals from the server are shown and announced. Dialogs open
window-modal (``open()``) and give the focus back where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog

from csdesk.app.qa import MessageLine, Review, Rubric
from csdesk.app.qa import QaDesk as QaUseCases
from csdesk.domain.enums import Role
from csdesk.i18n import _
from csdesk.protocol import MutationType
from csdesk.sync.events import Rejection

if TYPE_CHECKING:
    from csdesk.ui.main_window import MainWindow

__all__ = ["QaDesk"]

_MINE = {
    MutationType.QA_REVIEW_SAVE.value,
    MutationType.QA_RUBRIC_SAVE.value,
    MutationType.QA_REVIEW_DELETE.value,
}


class QaDesk(QObject):
    """Signals: ``review_saved(str)`` — this review id was queued; ``rubric_saved(str)`` — this
    rubric version id was queued; ``reviews_shown(int)`` — "My reviews" opened with this many;
    ``detail_shown(str)`` — this review's scores and comments are shown; ``review_deleted(str)``
    — deleting this review was queued."""

    review_saved = Signal(str)
    review_deleted = Signal(str)
    rubric_saved = Signal(str)
    reviews_shown = Signal(int)
    detail_shown = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.qa = QaUseCases(window.ws)
        self.dialog: QDialog | None = None  # the one open now (tests find it)
        a = window.actions_
        a.bind("qa_review", self.review)
        a.bind("qa_rubric", self.edit_rubric)
        a.bind("qa_my_reviews", self.my_reviews)
        window.bridge.rejected.connect(self.on_rejected)

    def on_rejected(self, rejection: Rejection) -> None:
        if rejection.type in _MINE:
            text = _("Refused: {reason}").format(reason=rejection.message)
            self._tell(text)

    def _failed(self, exc: Exception) -> None:
        text = _("Could not do that: {error}").format(error=exc)
        self._tell(text)

    def _tell(self, text: str) -> None:
        """In the notice line, and said once, assertively (``show_notice`` says it too, so
        the two together announced every failure twice)."""
        self.window.notice_label.setText(text)
        self.window.say(text, assertive=True)

    def _show(self, dialog: QDialog) -> None:
        focus = self.window.focusWidget()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def closed(_result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            if focus is not None:
                self.window.activateWindow()
                focus.setFocus(Qt.FocusReason.OtherFocusReason)

        dialog.finished.connect(closed)
        self.dialog = dialog
        dialog.open()

    def _lead_only(self, what: str) -> bool:
        if self.qa.is_lead:
            return True
        self.window.say(what, assertive=True)
        return False

    # --- Ctrl+Alt+R: review the open conversation ------------------------------------------

    def review(self) -> None:
        if not self._lead_only(_("Only supervisors and administrators review conversations.")):
            return
        conversation_id = self.window.open_id
        if conversation_id is None:
            self.window.say(_("No conversation is open."))
            return
        qa = self.qa

        def load() -> tuple[Rubric | None, list[MessageLine], Review | None]:
            existing = qa.review_of(conversation_id)
            rubric = existing.rubric if existing is not None else qa.active_rubric()
            return rubric, qa.thread(conversation_id), existing

        def loaded(found: tuple[Rubric | None, list[MessageLine], Review | None]) -> None:
            rubric, messages, existing = found
            if rubric is None:
                self.window.say(
                    _("There is no review rubric yet: make one with Review rubric (Ctrl+Alt+U)."),
                    assertive=True,
                )
                return
            self._review_dialog(conversation_id, rubric, messages, existing)

        self.window.tasks.run(load, loaded, self._failed)

    def _review_dialog(
        self,
        conversation_id: str,
        rubric: Rubric,
        messages: list[MessageLine],
        existing: Review | None,
    ) -> None:
        from csdesk.ui.panels.qa_review_dialog import QaReviewDialog

        dialog = QaReviewDialog(rubric, messages, existing, self.window)
        qa = self.qa

        def accepted() -> None:
            scores = dialog.scores()
            notes = dialog.message_comments()
            comment = dialog.comment()
            review_id = existing.id if existing is not None else None

            def done(result: tuple[str, object]) -> None:
                self.window.say(_("Review saved."))
                self.review_saved.emit(result[0])

            self.window.tasks.write(
                lambda: qa.save_review(conversation_id, rubric, scores, notes, comment, review_id),
                done,
                self._failed,
            )

        def delete(reason: str) -> None:
            if existing is not None:
                self._delete_review(existing.id, reason)

        dialog.accepted.connect(accepted)
        dialog.delete_requested.connect(delete)
        self._show(dialog)

    def _delete_review(self, review_id: str, reason: str) -> None:
        """Through the outbox (offline too): gone from this desk at once; a refusal brings it
        back and is shown and announced."""
        qa = self.qa

        def done(_changes: object) -> None:
            text = _("Review deleted.")
            self.window.notice_label.setText(text)
            self.window.say(text)
            self.review_deleted.emit(review_id)

        self.window.tasks.write(lambda: qa.delete_review(review_id, reason), done, self._failed)

    # --- Ctrl+Alt+U: the rubric ------------------------------------------------------------

    def edit_rubric(self) -> None:
        if not self._lead_only(_("Only supervisors and administrators edit the rubric.")):
            return
        self.window.tasks.run(self.qa.active_rubric, self._rubric_dialog, self._failed)

    def _rubric_dialog(self, rubric: Rubric | None) -> None:
        from csdesk.ui.panels.qa_rubric_editor import QaRubricEditor

        dialog = QaRubricEditor(rubric, self.window)
        qa = self.qa
        family = rubric.family if rubric is not None else None

        def accepted() -> None:
            name, criteria = dialog.rubric_name(), dialog.criteria()

            def done(result: tuple[str, object]) -> None:
                self.window.say(_("Rubric saved as a new version."))
                self.rubric_saved.emit(result[0])

            self.window.tasks.write(
                lambda: qa.save_rubric(family, name, criteria), done, self._failed
            )

        dialog.accepted.connect(accepted)
        self._show(dialog)

    # --- Ctrl+Alt+M: my reviews ------------------------------------------------------------

    def my_reviews(self) -> None:
        if self.window.ws.me.role == Role.TRAINEE.value:
            self.window.say(
                _("Trainees have no quality reviews: training sessions have their score card.")
            )
            return

        def failed(exc: Exception) -> None:
            text = _("Could not load your reviews (they need a connection): {error}").format(
                error=exc
            )
            self._tell(text)

        self.window.tasks.run(self.qa.my_reviews, self._reviews_dialog, failed)

    def _reviews_dialog(self, reviews: list[Review]) -> None:
        from csdesk.ui.panels.qa_my_reviews import MyReviewsDialog

        dialog = MyReviewsDialog(reviews, self.window)
        qa = self.qa

        def opened(review_id: str) -> None:
            review = dialog.review(review_id)
            if review is None:
                return
            conversation_id = review.conversation_id

            def shown(messages: list[MessageLine]) -> None:
                if self.dialog is dialog:
                    dialog.show_detail(review, messages)
                    self.detail_shown.emit(review.id)

            self.window.tasks.run(lambda: qa.thread(conversation_id), shown, self._failed)

        dialog.opened.connect(opened)
        self._show(dialog)
        self.window.say(
            _("My reviews: {n}.").format(n=len(reviews))
            if reviews
            else _("No reviews of your conversations yet.")
        )
        self.reviews_shown.emit(len(reviews))
