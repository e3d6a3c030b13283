"""A conversation's draft: the reply being written, kept apart from any one composer.

Every conversation has its own draft for the session, as agents of Zendesk or Front expect:
leaving a conversation in the main window puts its draft aside in the desk's one
``DraftBook`` and coming back puts it back (``ConversationPanel``); a conversation without one
opens with an empty reply box, the note switch off. Nothing written for one customer follows
the agent to the next.

A conversation popped out into its own window (docs/pop-out.md) owns its draft while the window
is open: it takes the draft with it, the main window does not write in it meanwhile, and the
window gives the draft back when it closes. Kept in memory for the session (nothing of a reply
is written to disk before it is sent).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from csdesk.ui.panels.attachments_strip import AttachedFile
from csdesk.ui.panels.composer import Composer

__all__ = ["Draft", "DraftBook", "draft_of", "put_draft", "take_draft"]


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    note: bool = False
    subject: str = ""
    files: tuple[AttachedFile, ...] = ()

    def empty(self) -> bool:
        return not self.text.strip() and not self.files

    def joined(self, later: Draft) -> Draft:
        """This draft and ``later`` (written for the same conversation in another window) as
        one, neither lost: the texts one after the other, every file once, and a note if either
        was one (what an agent wrote for agents never goes to the customer unseen)."""
        if later.empty():
            return self
        if self.empty():
            return later
        text = "\n\n".join(t for t in (self.text.strip(), later.text.strip()) if t)
        files = tuple({f.path: f for f in (*self.files, *later.files)}.values())
        note, subject = self.note or later.note, self.subject or later.subject
        return replace(self, text=text, note=note, subject=subject, files=files)


class DraftBook:
    """The drafts of conversations that no composer shows now, by conversation id: one book
    for the desk (the main window's conversations and its pop-outs')."""

    def __init__(self) -> None:
        self._drafts: dict[str, Draft] = {}

    def keep(self, conversation_id: str, draft: Draft | None) -> None:
        """Put ``draft`` aside (an empty one is nothing to keep). One already kept there is
        never overwritten: the two are joined (``Draft.joined``)."""
        if draft is None or draft.empty():
            return
        kept = self._drafts.get(conversation_id)
        self._drafts[conversation_id] = draft if kept in (None, draft) else kept.joined(draft)

    def take(self, conversation_id: str) -> Draft | None:
        return self._drafts.pop(conversation_id, None)

    def forget_sent(self, conversation_id: str, body: str) -> None:
        """``body`` was just queued for ``conversation_id`` after the agent had moved on: its
        draft is not kept (it would come back and could go out twice)."""
        kept = self._drafts.get(conversation_id)
        if kept is not None and kept.text.strip() == body.strip():
            del self._drafts[conversation_id]

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
        tuple(composer.attachments.files()),
    )


def take_draft(composer: Composer) -> Draft:
    """What ``composer`` holds, taken out of it (the composer is left empty)."""
    draft = draft_of(composer)
    composer.clear()
    return draft


def put_draft(composer: Composer, draft: Draft) -> None:
    """Write ``draft`` into ``composer`` (already showing its conversation), unannounced: the
    reply box simply holds it again."""
    composer.note.setChecked(draft.note)  # before the text: a note is never a reply meanwhile
    composer.text.setPlainText(draft.text)
    if draft.subject:
        composer.subject.setText(draft.subject)
    if draft.files:
        composer.attachments.add(list(draft.files), say=False)
