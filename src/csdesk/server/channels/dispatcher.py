"""Sending agents' replies: the background task that hands queued messages to providers.

The loop lives on the server's event loop and does its work in a thread (database and HTTP
calls block).  It wakes on feed commits (an agent's ``message.send`` is one) through the
notifier, so a reply leaves within milliseconds, and at least every ``poll_seconds`` for
retries that came due.

Claiming uses a lease in ``outbound_attempts`` taken in its own short transaction, so several
server processes on one database never send one message twice while all are healthy; the HTTP
call happens outside any transaction (a slow provider must not hold SQLite's write lock).  A
process that dies mid-send leaves a lease that expires and the message is sent again: delivery
is at least once, never silently lost.  Only production messages are sent: the training
sandbox never reaches a real customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk.domain.enums import ConversationStatus, DeliveryStatus, Direction, Realm
from csdesk.protocol import Entity
from csdesk.server.channels import senders, statuses
from csdesk.server.channels.config_store import ChannelSettings, Provider
from csdesk.server.channels.outbound import SendResult
from csdesk.server.channels.worker import LoopWorker
from csdesk.server.channels.worker import backoff as backoff
from csdesk.server.feed import log as feed_log
from csdesk.server.feed.log import FeedItem
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.bulk import Bulk
from csdesk.storage.types import utcnow
from csdesk.storage.wire import row_to_wire

log = logging.getLogger(__name__)


#: The survey message's ``auto_kind`` (``server.surveys.send``), sent only while the
#: conversation is still resolved.
SURVEY_KIND = "survey"
RESOLVED = ConversationStatus.RESOLVED.value


def _table(model: type[m.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_MESSAGES, _ATTEMPTS = _table(m.Message), _table(m.OutboundAttempt)
#: A reply no provider can take: failed, with the reason. The three run with a whole round's
#: rows through the driver (``storage.bulk``).
_FAIL_MESSAGES = Bulk(
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("b_id"))
    .values(
        delivery_status=DeliveryStatus.FAILED.value,
        failure_reason=bindparam("b_reason"),
        updated_at=bindparam("b_now"),
    )
)
_FIRST_ATTEMPTS = Bulk(
    insert(_ATTEMPTS).values(
        message_id=bindparam("b_id"),
        attempts=bindparam("b_attempts"),
        next_attempt_at=bindparam("b_now"),
        lease_until=null(),
        last_error=bindparam("b_error"),
        updated_at=bindparam("b_now"),
    )
)
_NEXT_ATTEMPTS = Bulk(
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.message_id == bindparam("b_id"))
    .values(
        attempts=bindparam("b_attempts"),
        lease_until=null(),
        last_error=bindparam("b_error"),
        updated_at=bindparam("b_now"),
    )
)

LEASE = timedelta(seconds=60)  # longer than the HTTP timeouts in ``senders``
BATCH = 300
_PRUNE_EVERY = timedelta(minutes=10)
_GONE = "message no longer queued"


class Dispatcher(LoopWorker):
    task_name = "csdesk-dispatcher"
    round_name = "outbound dispatcher"
    #: A reply on a quiet server leaves at once; under a stream of pushes the commits of a
    #: tenth of a second share one round (up to ``BATCH`` replies, one commit and one feed
    #: append for those that fail): the dispatcher's CPU per reply fell by a sixth against
    #: a round every 20 ms of 100 (issue 10).
    min_gap_seconds = 0.1

    def __init__(
        self,
        state: ServerState,
        lookup: Callable[[Provider], ChannelSettings | None],
        public_url: Callable[[str], str],
        *,
        poll_seconds: float = 0.5,
    ) -> None:
        super().__init__(state, poll_seconds=poll_seconds)
        self.lookup = lookup
        self.public_url = public_url
        self._pruned_at = datetime.min.replace(tzinfo=utcnow().tzinfo)

    # --- one round -----------------------------------------------------------------------

    def run_once(self) -> int:
        """Send every message that is due now; the number of sends attempted."""
        now = utcnow()
        due = self._due(now)
        # Replies no provider can take fail without a send: all in one transaction (one
        # commit, one feed append) rather than a claim and a record each.
        unsendable = self._unsendable(due)
        done = self._fail_all(unsendable, now) if unsendable else 0
        for message_id in due:
            if self.stopping:
                break
            if message_id in unsendable:
                continue
            if self._claim(message_id, now):
                self._deliver(message_id)
                done += 1
        if now - self._pruned_at > _PRUNE_EVERY:
            with self.state.writes() as s:
                statuses.prune_early(s)
                s.commit()
            self._pruned_at = now
        return done

    def _due(self, now: datetime) -> list[str]:
        a = m.OutboundAttempt
        stmt = (
            select(m.Message.id)
            .outerjoin(a, a.message_id == m.Message.id)
            .where(
                m.Message.delivery_status == DeliveryStatus.QUEUED.value,
                m.Message.channel.in_([c.value for c in senders.DISPATCHED]),
                m.Message.direction == Direction.OUT.value,
                m.Message.is_note.is_(False),
                m.Message.realm == Realm.PRODUCTION.value,
                or_(
                    a.message_id.is_(None),
                    and_(
                        a.next_attempt_at <= now,
                        or_(a.lease_until.is_(None), a.lease_until < now),
                    ),
                ),
            )
            .order_by(m.Message.created_at)
            .limit(BATCH)
        )
        with self.state.reads() as s:
            return list(s.scalars(stmt))

    def _unsendable(self, message_ids: list[str]) -> dict[str, str]:
        """Of ``message_ids``, those no send can be planned for, with the reason; the rest
        (and any that changed meanwhile) take the claim-send-record path."""
        out: dict[str, str] = {}
        if not message_ids:
            return out
        # One look at each provider's connection for the whole round, not one per reply
        # (the lookup takes a lock and reads the clock; a round takes milliseconds).
        looked: dict[Provider, ChannelSettings | None] = {}

        def lookup(provider: Provider) -> ChannelSettings | None:
            if provider not in looked:
                looked[provider] = self.lookup(provider)
            return looked[provider]

        with self.state.reads() as s:
            msgs = s.scalars(select(m.Message).where(m.Message.id.in_(message_ids))).all()
            convs = {
                c.id: c
                for c in s.scalars(
                    select(m.Conversation).where(
                        m.Conversation.id.in_({x.conversation_id for x in msgs})
                    )
                )
            }
            senders.prefetch_addresses(
                s, ((c, msg.channel) for msg in msgs if (c := convs.get(msg.conversation_id)))
            )
            for msg in msgs:
                conv = convs.get(msg.conversation_id)
                if conv is None:
                    continue
                if msg.auto_kind == SURVEY_KIND and conv.status != RESOLVED:
                    # A survey still queued (its channel was down) when the customer wrote
                    # again: "How did we do?" in the middle of an open conversation is wrong.
                    out[msg.id] = (
                        "Not sent: the conversation was reopened before the survey went out."
                    )
                    continue
                try:
                    senders.plan(s, msg, conv, lookup, self.public_url)
                except senders.NoProvider as exc:
                    if not self.state.config.simulate_customers_seconds:
                        out[msg.id] = str(exc)
                except senders.PlanError as exc:
                    out[msg.id] = str(exc)
                except Exception:  # one odd reply must not stall them all
                    # Left to the claim-send-record path, as before this pre-check: its
                    # round fails while it holds the lease, the others' rounds go on.
                    log.exception("planning the send of %s failed", msg.id)
        return out

    def _fail_all(self, problems: dict[str, str], now: datetime) -> int:
        """Record that each message in ``problems`` cannot be sent, in one transaction of
        Core statements (feed items built from the values written); skips any another
        process holds or that is no longer queued. The number failed."""
        msgs, tries = _MESSAGES, _ATTEMPTS
        ids = sorted(problems)  # one lock order for every process: messages, then attempts
        with self.state.writes() as s:
            conn = s.connection()
            locked = self.state.engine.dialect.name == "postgresql"
            q = select(msgs).where(msgs.c.id.in_(ids)).order_by(msgs.c.id)
            rows = [dict(r) for r in conn.execute(q.with_for_update() if locked else q).mappings()]
            q = select(tries).where(tries.c.message_id.in_(ids)).order_by(tries.c.message_id)
            held = {
                r["message_id"]: r
                for r in conn.execute(q.with_for_update() if locked else q).mappings()
            }
            failed: list[dict[str, Any]] = []
            fresh: list[dict[str, Any]] = []
            again: list[dict[str, Any]] = []
            for row in rows:
                if row["delivery_status"] != DeliveryStatus.QUEUED.value:
                    continue
                if row["direction"] != Direction.OUT.value or row["is_note"]:
                    continue
                attempt = held.get(row["id"])
                if attempt is not None and (
                    attempt["next_attempt_at"] > now
                    or (attempt["lease_until"] is not None and attempt["lease_until"] >= now)
                ):
                    continue  # another process is on it
                problem = problems[row["id"]]
                bookkeeping = {"b_id": row["id"], "b_error": problem[:500], "b_now": now}
                if attempt is None:
                    fresh.append({**bookkeeping, "b_attempts": 1})
                else:
                    again.append({**bookkeeping, "b_attempts": attempt["attempts"] + 1})
                row["delivery_status"] = DeliveryStatus.FAILED.value
                row["failure_reason"] = statuses.failure_text(None, problem)
                row["updated_at"] = now
                failed.append(row)
            if not failed:
                return 0
            try:
                _FAIL_MESSAGES.run(
                    conn,
                    [
                        {"b_id": r["id"], "b_reason": r["failure_reason"], "b_now": now}
                        for r in failed
                    ],
                )
                _FIRST_ATTEMPTS.run(conn, fresh)
                _NEXT_ATTEMPTS.run(conn, again)
                wire = Entity.MESSAGE
                feed_log.append(
                    s,
                    (
                        FeedItem(wire, r["id"], r["realm"], False, row_to_wire(wire, r))
                        for r in failed
                    ),
                )
                s.commit()
            except IntegrityError:  # another process recorded one of them first
                s.rollback()
                return 0
        return len(failed)

    def _claim(self, message_id: str, now: datetime) -> bool:
        a = m.OutboundAttempt
        with self.state.writes() as s:
            if s.get(a, message_id) is None:
                s.add(
                    a(
                        message_id=message_id,
                        attempts=0,
                        next_attempt_at=now,
                        lease_until=now + LEASE,
                    )
                )
                try:
                    s.commit()
                except IntegrityError:  # another process claimed it first
                    s.rollback()
                    return False
                return True
            claimed = s.execute(  # type: ignore[attr-defined]  # a CursorResult at runtime
                update(a)
                .where(
                    a.message_id == message_id,
                    a.next_attempt_at <= now,
                    or_(a.lease_until.is_(None), a.lease_until < now),
                )
                .values(lease_until=now + LEASE)
            ).rowcount
            s.commit()
            return bool(claimed)

    def _deliver(self, message_id: str) -> None:
        with self.state.reads() as s:
            msg = s.get(m.Message, message_id)
            conv = s.get(m.Conversation, msg.conversation_id) if msg is not None else None
            if msg is None or conv is None or msg.delivery_status != DeliveryStatus.QUEUED.value:
                plan: senders.Plan | None = None
                problem: str | None = _GONE
            else:
                try:
                    plan, problem = senders.plan(s, msg, conv, self.lookup, self.public_url), None
                except senders.NoProvider as exc:
                    if self.state.config.simulate_customers_seconds:
                        self._simulated(message_id)
                        return
                    plan, problem = None, str(exc)
                except senders.PlanError as exc:
                    plan, problem = None, str(exc)
        if plan is None:
            self._record(message_id, None, problem, None)
            return
        result = senders.send(self.http, plan)
        self._record(message_id, plan, None, result)

    def _simulated(self, message_id: str) -> None:
        """The demo's customers are simulated (``serve --simulate-customers``): with no real
        provider configured, the simulated customer receives the reply, marked as such."""
        now = utcnow()
        with self.state.writes() as s:
            msg = s.get(m.Message, message_id, with_for_update=True)
            attempt = s.get(m.OutboundAttempt, message_id, with_for_update=True)
            if msg is None or msg.delivery_status != DeliveryStatus.QUEUED.value:
                s.commit()
                return
            if attempt is not None:
                attempt.lease_until = None
                attempt.last_error = None
            msg.provider_message_id = f"simulated-{msg.id}"
            statuses.apply_to(msg, DeliveryStatus.SENT, now)
            statuses.apply_to(msg, DeliveryStatus.DELIVERED, now)
            s.commit()

    def _record(
        self,
        message_id: str,
        plan: senders.Plan | None,
        problem: str | None,
        result: SendResult | None,
    ) -> None:
        now = utcnow()
        with self.state.writes() as s:
            msg = s.get(m.Message, message_id, with_for_update=True)
            attempt = s.get(m.OutboundAttempt, message_id, with_for_update=True)
            if msg is None or attempt is None:
                return
            attempt.lease_until = None
            if msg.delivery_status != DeliveryStatus.QUEUED.value or problem == _GONE:
                s.commit()  # retried, answered elsewhere or deleted meanwhile
                return
            attempt.attempts += 1
            if result is None or plan is None:
                attempt.last_error = (problem or "")[:500]
                statuses.apply_to(msg, DeliveryStatus.FAILED, now, error_reason=problem)
            elif result.ok:
                self._sent(s, msg, attempt, result, now)
            else:
                self._failed(msg, attempt, plan, result, now)
            s.commit()

    def _sent(
        self,
        s: Session,
        msg: m.Message,
        attempt: m.OutboundAttempt,
        result: SendResult,
        now: datetime,
    ) -> None:
        attempt.last_error = None
        msg.provider_message_id = result.provider_message_id
        statuses.apply_to(msg, DeliveryStatus.SENT, now)
        if result.status is not None and result.status != DeliveryStatus.QUEUED:
            statuses.apply_to(msg, result.status, now)
        statuses.apply_early(s, msg)

    def _failed(
        self,
        msg: m.Message,
        attempt: m.OutboundAttempt,
        plan: senders.Plan,
        result: SendResult,
        now: datetime,
    ) -> None:
        detail = result.error_message or result.error_code or "unknown error"
        if result.error_code and result.error_code not in detail and result.error_code != "network":
            detail = f"{detail} (error {result.error_code})"
        attempt.last_error = detail[:500]
        cfg = self.lookup(plan.provider)
        limit = cfg.max_attempts if cfg is not None else 1
        if result.retryable and attempt.attempts < limit:
            base = cfg.retry_seconds if cfg is not None else 2.0
            delay = backoff(attempt.attempts, base, result.retry_after)
            attempt.next_attempt_at = now + timedelta(seconds=delay)
            log.info(
                "send of %s via %s failed (%s); retry %d in %.1fs",
                msg.id,
                plan.label,
                detail,
                attempt.attempts,
                delay,
            )
            return
        if result.retryable:
            reason = (
                f"{plan.label} could not be reached after {attempt.attempts} attempts: {detail}"
            )
        else:
            reason = f"{plan.label} refused the message: {detail}"
        statuses.apply_to(msg, DeliveryStatus.FAILED, now, error_reason=reason)
