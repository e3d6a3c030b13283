"""What the window speaks: new inbound messages, SLA warnings, announcements, "read aloud".

Kept out of ``main_window.py`` (already near the size limit) and Qt-thin: every lookup runs in
the window's ``Tasks`` and only the resulting sentences come back to the GUI thread, where the
:class:`~csdesk.ui.speech_bridge.Speaker` applies the agent's preferences.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from csdesk.app.inbox import Sort, View
from csdesk.app.present import MessageTexts
from csdesk.i18n import _, ngettext
from csdesk.protocol import Entity
from csdesk.speech import SpeechState, SpeechStatus
from csdesk.speech.policy import SpeechEventKind, inbound_announcement, sla_announcement
from csdesk.sync.events import ChangeSet
from csdesk.ui.models.thread_model import MESSAGE_ROLE, TEXTS_ROLE
from csdesk.ui.speech_bridge import Speaker

if TYPE_CHECKING:
    from csdesk.ui.desk_host import DeskWindow
    from csdesk.ui.main_window import MainWindow

__all__ = ["MAX_AT_ONCE", "SpeechKeys", "WindowSpeech"]

#: More news than this in one sync is summed up, not read out one by one.
MAX_AT_ONCE = 3
#: Messages older than the window (minus this slack for clock skew) are backlog, not news.
CLOCK_SLACK = timedelta(seconds=30)

Inbound = tuple[str, str, bool, str | None]  # message id, sentence, assigned to me, language
Due = tuple[str, str, datetime]  # conversation id, customer, due time


class WindowSpeech(QObject):
    """Listens to the window's sync news and clock; speaks through ``speaker``.

    The first sync of a session brings every message in the store; only messages created after
    the window opened (``since``) are news, so a sign-in never reads out the backlog.
    """

    def __init__(
        self, window: MainWindow, speaker: Speaker, *, since: datetime | None = None
    ) -> None:
        super().__init__(window)
        self.window = window
        self.speaker = speaker
        self.since = since or datetime.now(UTC) - CLOCK_SLACK
        self.seen_messages: set[str] = set()
        #: How often each message of a sync batch was looked at (tests wait on it: other
        #: batches, from the initial sync or other desks, come and go meanwhile).
        self.looked_at: Counter[str] = Counter()
        self._sla_stage: dict[str, str] = {}
        window.bridge.changes.connect(self.on_changes)
        speaker.status_changed.connect(self._status_changed)
        speaker.voice_notice.connect(self._voice_notice)
        if speaker.status.state is SpeechState.UNAVAILABLE:  # it failed before we were here
            self._status_changed(speaker.status)

    def _status_changed(self, status: SpeechStatus) -> None:
        """Say once, clearly, that speech is off and why; the desk works the same without it."""
        if status.state is not SpeechState.UNAVAILABLE or not status.reason:
            return
        label = self.window.notice_label
        before = label.text()  # e.g. a damaged settings file: more urgent, keep it in view
        if status.reason not in before:
            label.setText(f"{before} · {status.reason}" if before else status.reason)
        self.window.say(status.reason, speak=False)

    def _voice_notice(self, text: str) -> None:
        """No voice for a message's language: in the status bar and announced, not spoken."""
        self.window.notice_label.setText(text)
        self.window.say(text, speak=False)

    def shape(self, text: str) -> str:
        """The announcement as the agent's verbosity wants it."""
        from csdesk.ui.speech_bridge import brief

        return brief(text) if self.speaker.options.brief else text

    # --- new inbound messages ------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        if changes.everything:
            return
        batch = changes.ids(Entity.MESSAGE)
        wanted = batch - self.seen_messages
        if not wanted or not self.speaker.options.enabled:
            self.looked_at.update(batch)
            return
        if not self.window.caught_up:  # the first sync is backlog: spare the workers
            self.speak_inbound([], batch)
            return
        ws, since, cids = self.window.ws, self.since, sorted(changes.ids(Entity.CONVERSATION))

        def work() -> list[Inbound]:
            news: list[Inbound] = []
            for cid in cids:
                conv = ws.conversation(cid)
                if conv is None:
                    continue
                for msg in conv.messages:
                    if (
                        msg.id in wanted
                        and msg.direction == "in"
                        and not msg.is_note
                        and msg.created_at >= since
                    ):
                        text = inbound_announcement(msg.channel, msg.author_name, msg.body_text)
                        news.append((msg.id, text, conv.assignee_id == ws.me.id, msg.language))
            return news

        self.window.tasks.run(work, lambda news: self.speak_inbound(news, batch))

    def speak_inbound(self, news: list[Inbound], looked_at: Iterable[str] = ()) -> None:
        self.looked_at.update(looked_at)
        fresh = [item for item in news if item[0] not in self.seen_messages]
        self.seen_messages.update(item[0] for item in fresh)
        said = 0
        for _mid, text, mine, language in fresh:
            if said == MAX_AT_ONCE:
                break
            if self.speaker.automatic(
                SpeechEventKind.INBOUND_MESSAGE, text, assigned_to_me=mine, language=language
            ):
                said += 1
        rest = len(fresh) - MAX_AT_ONCE
        if said == MAX_AT_ONCE and rest > 0:
            self.speaker.automatic(
                SpeechEventKind.INBOUND_MESSAGE,
                ngettext("And {n} more new message.", "And {n} more new messages.", rest).format(
                    n=rest
                ),
                assigned_to_me=True,
            )

    # --- SLA warnings --------------------------------------------------------------------

    def check_sla(self, now: datetime | None = None) -> None:
        """On the window's clock: warn once as a reply deadline nears, once more at breach.

        Only conversations assigned to this agent: the team's at-risk list is on screen, and
        reading all of it out every half minute would drown everything else."""
        prefs = self.speaker.options
        if not (prefs.enabled and prefs.prefs.speak_sla_warnings):
            return
        ws = self.window.ws

        def work() -> list[Due]:
            ids = ws.ordered_ids(View.SLA_AT_RISK, Sort.SLA_DUE, now=now)
            mine = ws.assigned_to_me(ids)
            rows = ws.rows([cid for cid in ids if cid in mine])
            due: list[Due] = []
            for cid, row in rows.items():
                when = row.first_response_due_at if row.first_response_at is None else None
                when = when or row.resolution_due_at
                if when is not None:
                    due.append((cid, row.customer_name, when))
            return due

        self.window.tasks.run(work, lambda due: self.speak_sla(due, now or datetime.now(UTC)))

    def speak_sla(self, due: list[Due], now: datetime) -> None:
        said = 0
        for cid, customer, when in sorted(due, key=lambda d: d[2]):
            minutes = math.floor((when - now).total_seconds() / 60)
            stage = "warning" if minutes > 0 else "breached"
            if self._sla_stage.get(cid) == stage:
                continue
            self._sla_stage[cid] = stage
            if said < MAX_AT_ONCE and self.speaker.automatic(
                SpeechEventKind.SLA_WARNING, sla_announcement(customer, minutes)
            ):
                said += 1

    # --- on demand -----------------------------------------------------------------------

    def read_aloud(self, where: DeskWindow | None = None) -> None:
        """Speak the selected message's full sentence (author, time, channel, text): of the
        thread of ``where`` (a pop-out, docs/pop-out.md), else of the main window."""
        window = where if where is not None else self.window
        index = window.conversation.messages.currentIndex()
        text = index.data(Qt.ItemDataRole.AccessibleTextRole) if index.isValid() else None
        if not text:
            window.say(_("No message is selected."), speak=False)
            return
        view = index.data(MESSAGE_ROLE)
        language = getattr(view, "language", None)
        texts = index.data(TEXTS_ROLE)
        if isinstance(texts, MessageTexts) and texts.translation:
            # The message in its language's voice, its translation in the agent's (issue 13).
            parts = [(texts.sentence, language), (texts.translation, texts.translation_language)]
            if not self.speaker.on_demand_parts(parts):
                window.say(self.speaker.status_text(), speak=False)
            return
        if not self.speaker.on_demand(str(text), language=language):
            window.say(self.speaker.status_text(), speak=False)


class SpeechKeys:
    """Read aloud, stop and pause (Ctrl+Shift+R, and the speech keys) for a window with a
    conversation panel: the main window and each pop-out (a mixin; ``speech`` is the main
    window's ``WindowSpeech``, one voice for the desk)."""

    if TYPE_CHECKING:
        speech: WindowSpeech | None

        def say(self, message: str, *, assertive: bool = False, speak: bool = True) -> None: ...

    def _desk_window(self) -> DeskWindow | None:
        return None  # the main window: WindowSpeech reads its own thread

    def read_aloud(self) -> None:
        if self.speech is None:
            self.say(_("Speech is not available in this window."), speak=False)
        else:
            self.speech.read_aloud(self._desk_window())

    def stop_speech(self) -> None:
        if self.speech is not None:
            self.speech.speaker.stop()

    def pause_speech(self) -> None:
        if self.speech is None:
            self.say(_("Speech is not available in this window."), speak=False)
            return
        paused = self.speech.speaker.toggle_pause()
        self.say(_("Speech paused.") if paused else _("Speech resumed."), speak=False)
