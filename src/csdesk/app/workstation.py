"""The use cases the window calls: each writes locally first (outbox) and returns what changed.

A ``Workstation`` is built once by ``ui/app.py`` from a signed-in ``SyncEngine``; widgets never
touch the engine, the cache or the network directly (DESIGN rules 2-4).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from csdesk.app import (
    arrivals,
    customers,
    inbox,
    order_actions,
    outreach,
    readstate,
    thread,
    timeline,
)
from csdesk.app.packed_ids import PackedIds
from csdesk.app.search import SearchIndex, searchable
from csdesk.customer_rules import clean_fields
from csdesk.domain.access import can_be_assigned
from csdesk.domain.enums import ConversationStatus, Priority
from csdesk.protocol import Entity, MutationType
from csdesk.storage import models as m
from csdesk.storage.types import utcnow
from csdesk.sync.api import SyncError, Viewer
from csdesk.sync.engine import SyncEngine
from csdesk.sync.events import ChangeSet


@dataclass(frozen=True, slots=True)
class Me:
    id: str
    username: str
    display_name: str
    role: str


class Workstation:
    def __init__(self, engine: SyncEngine, me: Me) -> None:
        self.engine = engine
        self.cache = engine.cache
        self.me = me
        readstate.ensure(self.cache.engine)
        # Kept current by the cache's writes; an index to rebuild is rebuilt on a worker, and
        # the window hears when it is ready.
        self.search_index = SearchIndex(
            self.cache, on_ready=lambda: engine.announce(ChangeSet(everything=True))
        )

    # --- queries (run on workers) ----------------------------------------------------------

    def counts(self, now: datetime | None = None) -> dict[str, int]:
        with self.cache.session() as s:
            return inbox.counts(s, self.me.id, now or utcnow())

    def ordered_ids(
        self, view: str, sort: inbox.Sort, query: str = "", now: datetime | None = None
    ) -> PackedIds:
        with self.cache.session() as s:
            at = now or utcnow()
            if not searchable(query):  # no query, or one not worth a search (one letter)
                return inbox.ordered_ids(s, view, sort, self.me.id, at)
            if self.search_index.pending_in(s):
                return PackedIds()  # an initial sync, or the index opening: nothing indexed yet
            return self.search_index.search(
                s, query, lambda hits: inbox.ordered_ids(s, view, sort, self.me.id, at, hits)
            )

    def mine(self) -> dict[str, None]:
        """The active conversations assigned to me (unordered; ``inbox.mine``)."""
        with self.cache.session() as s:
            return inbox.mine(s, self.me.id)

    def rows(self, ids: Sequence[str]) -> dict[str, inbox.InboxRow]:
        with self.cache.session() as s:
            return inbox.rows(s, ids)

    def conversation(self, conversation_id: str) -> thread.ConversationView | None:
        with self.cache.session() as s:
            return thread.conversation(s, conversation_id)

    def customer(self, customer_id: str) -> thread.CustomerContext | None:
        with self.cache.session() as s:
            return thread.customer_context(s, customer_id)

    def find_customers(
        self, query: str, exclude: str | None = None
    ) -> list[customers.CustomerChoice]:
        """Profiles to merge into (the chooser's matches), from the local copy."""
        with self.cache.session() as s:
            return customers.find_customers(s, query, exclude)

    def merge_preview(self, source_id: str, target_id: str) -> customers.MergePreview | None:
        with self.cache.session() as s:
            return customers.merge_preview(s, source_id, target_id)

    def users(self) -> list[tuple[str, str]]:
        """Active teammates (id, display name), for "assign to"."""
        from sqlalchemy import select

        with self.cache.session() as s:
            return [
                (u.id, u.display_name)
                for u in s.scalars(
                    select(m.User).where(m.User.active.is_(True)).order_by(m.User.display_name)
                )
            ]

    def assignees(self, conversation_id: str) -> list[tuple[str, str]]:
        """Active teammates who may be given ``conversation_id`` (id, display name): those who
        can read it and work conversations (``domain.access.can_be_assigned``); the server
        refuses anyone who cannot read it."""
        from sqlalchemy import select

        with self.cache.session() as s:
            conv = s.get(m.Conversation, conversation_id)
            if conv is None:
                return []
            return [
                (u.id, u.display_name)
                for u in s.scalars(
                    select(m.User).where(m.User.active.is_(True)).order_by(m.User.display_name)
                )
                if can_be_assigned(u.role, conv.realm)
            ]

    def teams(self) -> list[tuple[str, str]]:
        from sqlalchemy import select

        with self.cache.session() as s:
            return [(t.id, t.name) for t in s.scalars(select(m.Team).order_by(m.Team.name))]

    def canned_responses(self, channel: str | None = None) -> list[m.CannedResponse]:
        """The canned responses this agent may use (not deleted; personal ones their own,
        team ones their team's: docs/macros.md), the most used first."""
        from sqlalchemy import or_, select

        from csdesk.app.macro_desk import visible

        with self.cache.session() as s:
            q = (
                select(m.CannedResponse)
                .where(m.CannedResponse.deleted_at.is_(None))
                .order_by(m.CannedResponse.use_count.desc(), m.CannedResponse.title)
            )
            if channel:
                q = q.where(
                    or_(m.CannedResponse.channel.is_(None), m.CannedResponse.channel == channel)
                )
            return visible(s, self.me.id, list(s.scalars(q)))

    def arrival_notice(self, conversation_id: str, now: datetime | None = None) -> str | None:
        """What to say as ``conversation_id`` lands in "Mine" (new, snooze over, callback)."""
        with self.cache.session() as s:
            return arrivals.arrival_notice(s, conversation_id, now or utcnow())

    def assigned_to_me(self, ids: Sequence[str]) -> set[str]:
        with self.cache.session() as s:
            return inbox.assigned_to(s, ids, self.me.id)

    def presence(self, conversation_id: str | None, typing: bool = False) -> list[Viewer]:
        """Network: run on a worker. Offline there is simply nobody to show."""
        try:
            return self.engine.api.presence(conversation_id, typing)
        except SyncError:
            return []

    def attachment(self, message_id: str, index: int) -> bytes:
        """Network: run on a worker. The bytes of a message's attachment. Raises SyncError."""
        return self.engine.api.attachment(message_id, index)

    def open_attachment(self, message_id: str, index: int, filename: str, directory: Path) -> Path:
        """Network and disk: run on a worker. Downloads the file into ``directory`` (under a
        safe name) and returns its path for the desktop to open. Raises SyncError."""
        data = self.engine.api.attachment(message_id, index)
        safe = re.sub(r"[^\w .()+-]", "_", Path(filename).name).strip(" .") or "attachment"
        target = directory / message_id[:8] / safe
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    # --- actions (local first, then the outbox) --------------------------------------------

    def _do(self, mtype: MutationType, args: dict[str, object]) -> ChangeSet:
        self.engine.enqueue(mtype, args)
        cid = args.get("conversation_id")
        pairs = [(Entity.CONVERSATION, str(cid))] if cid else []
        if "message_id" in args:
            pairs.append((Entity.MESSAGE, str(args["message_id"])))
        return ChangeSet.of(pairs)

    def reply(
        self,
        conversation_id: str,
        body: str,
        *,
        note: bool = False,
        subject: str = "",
        files: Sequence[Path] = (),
        mentions: Sequence[str] = (),
    ) -> tuple[str, ChangeSet]:
        """Queue a reply (disk: run on a worker). ``files`` are copied beside the outbox
        first and uploaded before the reply is pushed; raises ``AttachmentError``.
        ``mentions``: teammates chosen in a note (docs/mentions.md), by user id."""
        body = body.strip()
        if not body:
            raise ValueError("the reply is empty")
        message_id = str(uuid.uuid4())
        args: dict[str, object] = {
            "conversation_id": conversation_id,
            "message_id": message_id,
            "body_text": body,
            "is_note": note,
            "subject": subject,
        }
        if files:
            args["attachments"] = self.engine.outbox.stage(files)
        if note and mentions:  # mentions (docs/mentions.md): only ever in a note
            args["mentions"] = list(mentions)
        changes = self._do(MutationType.MESSAGE_SEND, args)
        return message_id, changes

    def claim(self, conversation_id: str) -> ChangeSet:
        return self._do(MutationType.CONVERSATION_CLAIM, {"conversation_id": conversation_id})

    def assign(
        self,
        conversation_id: str,
        assignee_id: str | None,
        team_id: str | None = None,
        *,
        set_team: bool = False,
    ) -> ChangeSet:
        return self._do(
            MutationType.CONVERSATION_ASSIGN,
            {
                "conversation_id": conversation_id,
                "assignee_id": assignee_id,
                "team_id": team_id,
                "set_team": set_team,
            },
        )

    def set_status(
        self,
        conversation_id: str,
        status: ConversationStatus,
        snoozed_until: datetime | None = None,
    ) -> ChangeSet:
        args: dict[str, object] = {"conversation_id": conversation_id, "status": status.value}
        if snoozed_until is not None:
            args["snoozed_until"] = snoozed_until.isoformat()
        return self._do(MutationType.CONVERSATION_STATUS, args)

    def resolve(self, conversation_id: str) -> ChangeSet:
        return self.set_status(conversation_id, ConversationStatus.RESOLVED)

    def set_priority(self, conversation_id: str, priority: Priority) -> ChangeSet:
        return self._do(
            MutationType.CONVERSATION_PRIORITY,
            {"conversation_id": conversation_id, "priority": priority.value},
        )

    def set_tags(
        self, conversation_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> ChangeSet:
        return self._do(
            MutationType.CONVERSATION_TAGS,
            {"conversation_id": conversation_id, "add": list(add), "remove": list(remove)},
        )

    def link_match(self, claim_id: str, conversation_id: str) -> ChangeSet:
        """ "Link to this customer": the typed identity's possible match is the customer."""
        return self._do(
            MutationType.CUSTOMER_LINK_MATCH,
            {"claim_id": claim_id, "conversation_id": conversation_id},
        )

    def update_customer(self, customer_id: str, fields: dict[str, object]) -> ChangeSet:
        """Only the fields the agent changed, checked as the server checks them
        (``customer_rules``; raises ``FieldError``) and stored in the same spelling."""
        if not fields:
            raise ValueError("nothing changed")
        clean = clean_fields(fields)
        self.engine.enqueue(
            MutationType.CUSTOMER_UPDATE, {"customer_id": customer_id, "fields": clean}
        )
        return ChangeSet.of([(Entity.CUSTOMER, customer_id)])

    def merge_customers(self, source_id: str, target_id: str) -> ChangeSet:
        """Fold ``source`` into ``target`` (undoable with ``unmerge_customer``)."""
        self.engine.enqueue(
            MutationType.CUSTOMER_MERGE,
            {"source_customer_id": source_id, "target_customer_id": target_id},
        )
        return ChangeSet.of([(Entity.CUSTOMER, source_id), (Entity.CUSTOMER, target_id)])

    def unmerge_customer(self, source_id: str) -> ChangeSet:
        """Undo the latest merge of ``source`` (the profile that was folded away)."""
        self.engine.enqueue(MutationType.CUSTOMER_UNMERGE, {"customer_id": source_id})
        return ChangeSet.of([(Entity.CUSTOMER, source_id)])

    def link_conversation(self, conversation_id: str, customer_id: str) -> ChangeSet:
        """File a conversation under another customer (audited; both timelines show it)."""
        self.engine.enqueue(
            MutationType.CONVERSATION_LINK_CUSTOMER,
            {"conversation_id": conversation_id, "customer_id": customer_id},
        )
        return ChangeSet.of(
            [(Entity.CONVERSATION, conversation_id), (Entity.CUSTOMER, customer_id)]
        )

    def timeline(self, customer_id: str) -> list[timeline.TimelineItem]:
        """The customer's timeline from the local copy, newest first."""
        with self.cache.session() as s:
            return timeline.timeline(s, customer_id, self.me.id)

    # --- order actions and goodwill (ui/order_actions_ui.py) ----------------------------------

    def customer_orders(self, customer_id: str) -> list[order_actions.OrderChoice]:
        with self.cache.session() as s:
            return order_actions.customer_orders(s, customer_id)

    def pending_approvals(self) -> list[order_actions.ApprovalRequest]:
        with self.cache.session() as s:
            return order_actions.pending_approvals(s)

    def action_states(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        with self.cache.session() as s:
            return order_actions.action_states(s, ids)

    def act_on_order(self, order_id: str, kind: str, **args: object) -> tuple[str, ChangeSet]:
        """Queue an action on an order (``server/commerce/order_actions.py`` checks it);
        returns the new action's id. ``args``: lines, amount_cents, reason, instructions,
        address, note, as the kind needs."""
        action_id = str(uuid.uuid4())
        payload: dict[str, object] = {"action_id": action_id, "order_id": order_id, "kind": kind}
        payload.update({k: v for k, v in args.items() if v not in (None, "", [], ())})
        self.engine.enqueue(MutationType.ORDER_ACT, payload)
        return action_id, ChangeSet.of([(Entity.ORDER_ACTION, action_id), (Entity.ORDER, order_id)])

    def decide_refund(self, action_id: str, approve: bool, reason: str = "") -> ChangeSet:
        self.engine.enqueue(
            MutationType.ORDER_ACTION_DECIDE,
            {"action_id": action_id, "approve": approve, "reason": reason},
        )
        return ChangeSet.of([(Entity.ORDER_ACTION, action_id)])

    def grant_goodwill(
        self, customer_id: str, points: int, credit_cents: int, reason: str
    ) -> ChangeSet:
        self.engine.enqueue(
            MutationType.CUSTOMER_GOODWILL,
            {
                "customer_id": customer_id,
                "points": points,
                "credit_cents": credit_cents,
                "reason": reason,
            },
        )
        return ChangeSet.of([(Entity.CUSTOMER, customer_id)])

    def mark_read(self, conversation_id: str, upto: datetime | None = None) -> ChangeSet:
        with self.cache.write() as s:
            readstate.mark_read(s, conversation_id, upto or utcnow())
        return ChangeSet.of([(Entity.CONVERSATION, conversation_id)])

    def dismiss_rejection(self, mutation_id: str) -> bool:
        return self.engine.dismiss(mutation_id)

    # --- conversations the desk starts, the outreach list (``app.outreach``) -----------------

    def outreach_items(self) -> list[outreach.OutreachItem]:
        with self.cache.session() as s:
            return outreach.outreach_items(s)

    def start_choices(self, customer_id: str) -> list[outreach.StartChoice]:
        with self.cache.session() as s:
            return outreach.start_choices(s, customer_id, utcnow())

    def start_conversation(
        self,
        customer_id: str,
        channel: str,
        body_text: str,
        *,
        identity_id: str | None = None,
        subject: str = "",
        template: dict[str, object] | None = None,
    ) -> str:
        """A new outbound conversation assigned to me; its id (shown at once, offline too)."""
        conversation_id = str(uuid.uuid4())
        args: dict[str, object] = {
            "conversation_id": conversation_id,
            "message_id": str(uuid.uuid4()),
            "customer_id": customer_id,
            "channel": channel,
            "body_text": body_text,
            "subject": subject,
        }
        if identity_id is not None:
            args["identity_id"] = identity_id
        if template is not None:
            args["template"] = template
        self.engine.enqueue(MutationType.CONVERSATION_START, args)
        return conversation_id

    def send_outreach(self, items: Sequence[tuple[str, str, str]]) -> list[str]:
        """Send each (outreach id, message, subject); the conversation ids they start. The
        server spaces the provider sends out and refuses opted-out customers and repeats."""
        started = []
        for outreach_id, body, subject in items:
            conversation_id = str(uuid.uuid4())
            args: dict[str, object] = {
                "outreach_id": outreach_id,
                "conversation_id": conversation_id,
                "message_id": str(uuid.uuid4()),
                "body_text": body,
                "subject": subject,
            }
            self.engine.enqueue(MutationType.OUTREACH_SEND, args)
            started.append(conversation_id)
        return started

    def send_outreach_template(
        self, outreach_id: str, body_text: str, template: dict[str, object]
    ) -> str:
        """Send an approved WhatsApp template about a late order (outside the 24-hour
        window); the conversation id it starts."""
        conversation_id = str(uuid.uuid4())
        self.engine.enqueue(
            MutationType.OUTREACH_SEND,
            {
                "outreach_id": outreach_id,
                "conversation_id": conversation_id,
                "message_id": str(uuid.uuid4()),
                "body_text": body_text,
                "template": template,
            },
        )
        return conversation_id

    def dismiss_outreach(self, outreach_id: str) -> ChangeSet:
        self.engine.enqueue(MutationType.OUTREACH_DISMISS, {"outreach_id": outreach_id})
        return ChangeSet.of([(Entity.OUTREACH, outreach_id)])
