"""A conversation's draft: the reply being written, kept apart from any one composer.

A conversation popped out into its own window (docs/pop-out.md) takes the main window's
draft with it, and gives it back when its window closes: the draft belongs to the
conversation, not to the window it was typed in. Kept in memory for the session, like the
main window's composer (nothing of a reply is written to disk before it is sent).
"""

from __future__ import annotations

from dataclasses import dataclass

from csdesk.ui.panels.attachments_strip import AttachedFile
from csdesk.ui.panels.composer import Composer

__all__ = ["Draft", "DraftBook", "draft_of", "put_draft", "take_draft"]


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    note: bool = False
    subject: str = ""
    cc: str = ""
    files: tuple[AttachedFile, ...] = ()

    def empty(self) -> bool:
        return not self.text.strip() and not self.files


class DraftBook:
    """The drafts of conversations that no window is writing in now, by conversation id."""

    def __init__(self) -> None:
        self._drafts: dict[str, Draft] = {}

    def keep(self, conversation_id: str, draft: Draft | None) -> None:
        if draft is None or draft.empty():
            self._drafts.pop(conversation_id, None)
        else:
            self._drafts[conversation_id] = draft

    def take(self, conversation_id: str) -> Draft | None:
        return self._drafts.pop(conversation_id, None)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._drafts

    def items(self) -> list[tuple[str, Draft]]:
        return list(self._drafts.items())


def draft_of(composer: Composer) -> Draft:
    """What ``composer`` holds now."""
    return Draft(
        composer.text.toPlainText(),
        composer.note.isChecked(),
        composer.subject.text(),
        composer.cc.text(),
        tuple(composer.attachments.files()),
    )


def take_draft(composer: Composer) -> Draft:
    """What ``composer`` holds, taken out of it (the composer is left empty)."""
    draft = draft_of(composer)
    composer.clear()
    composer.cc.clear()
    return draft


def put_draft(composer: Composer, draft: Draft) -> None:
    """Write ``draft`` into ``composer`` (already showing its conversation)."""
    composer.text.setPlainText(draft.text)
    composer.note.setChecked(draft.note)
    if draft.subject:
        composer.subject.setText(draft.subject)
    composer.cc.setText(draft.cc)
    if draft.files:
        composer.attachments.add(list(draft.files))
