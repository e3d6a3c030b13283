"""The server's authoritative mutation handlers.

Each handler validates its arguments (pydantic), checks the caller's right and the current
state, applies the change to ORM objects and writes the audit log. It raises ``Reject`` when
the mutation lost a race or is not allowed; the reason is shown to the agent verbatim.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.orm import Session

from csdesk.customer_rules import FieldError, clean_fields
from csdesk.domain.access import can_read
from csdesk.domain.enums import (
    Channel,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    LoyaltyTier,
    Priority,
    Role,
)
from csdesk.domain.scheduled import MAX_AHEAD
from csdesk.domain.tags import edit_tags
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.attachments import outgoing
from csdesk.server.channels import agent_mutations as channel_ops
from csdesk.server.channels import call_mutations as call_ops
from csdesk.server.channels import wa_templates
from csdesk.server.channels.wa_window import free_text_refusal
from csdesk.server.commerce import order_actions as order_ops
from csdesk.server.conversation_merge.follow import follow as merge_follow  # merge-split.md
from csdesk.server.deps import realm_of
from csdesk.server.kpis import reopens
from csdesk.server.mentions import mutations as mention_ops  # mentions (docs/mentions.md)
from csdesk.server.outreach import send as outreach_ops
from csdesk.server.outreach import start as start_ops
from csdesk.server.refusals import Refusal
from csdesk.server.sla import store as sla_store
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow


class Reject(Refusal):
    """A refused mutation. ``message`` is a brace template, a plain string literal so
    ``pybabel extract -k Reject:2`` finds it; ``params`` fill it in (see
    ``csdesk.server.refusals``). ``.message`` is the English text.
    """

    @classmethod
    def of(cls, refusal: Refusal) -> Reject:
        """The same refusal as a ``Reject`` (template and params kept)."""
        return cls(refusal.code, refusal.template, **refusal.params)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


Id = Field(min_length=1, max_length=36)


class TemplateArgs(_Args):
    """An approved WhatsApp template; the server renders ``body_text`` from its own copy."""

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=1, max_length=16)
    parameters: list[str] = Field(default_factory=list, max_length=wa_templates.MAX_PARAMETERS)


class SendArgs(_Args):
    conversation_id: str = Id
    message_id: str = Id
    body_text: str = Field(min_length=1, max_length=100_000)
    is_note: bool = False
    subject: str = Field(default="", max_length=300)
    #: Files uploaded first with ``POST /api/v1/attachments`` (see ``attachments.outgoing``).
    attachments: list[outgoing.AttachmentRef] = Field(
        default_factory=list, max_length=outgoing.MAX_FILES
    )
    template: TemplateArgs | None = None
    # Mentions (issue 14, docs/mentions.md): teammates chosen in an internal note, by user id.
    mentions: mention_ops.Mentions


class ConversationArgs(_Args):
    conversation_id: str = Id


class AssignArgs(ConversationArgs):
    assignee_id: str | None = Field(default=None, max_length=36)
    team_id: str | None = Field(default=None, max_length=36)
    set_team: bool = False  # team_id=None with set_team clears the team


class StatusArgs(ConversationArgs):
    status: ConversationStatus
    snoozed_until: datetime | None = None


class PriorityArgs(ConversationArgs):
    priority: Priority


#: One tag's length: a label for lists and filters, not a note.
MAX_TAG = 64
#: A tag as given: surrounding spaces do not count against its length (they are not kept).
Tag = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TAG)]


class TagsArgs(ConversationArgs):
    add: list[Tag] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class CustomerFields(_Args):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, min_length=2, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    tags: list[Tag] | None = Field(default=None, max_length=50)
    loyalty_tier: LoyaltyTier | None = None
    #: At most what the column (a 32-bit INTEGER on PostgreSQL) holds: a larger number was a
    #: DataError (SQLite: OverflowError), a 500 for the whole push.
    loyalty_points: int | None = Field(default=None, ge=0, le=2**31 - 1)
    notes: str | None = Field(default=None, max_length=20_000)
    #: The customer asked not to be written to first (proactive outreach leaves them out).
    contact_opt_out: bool | None = None


class CustomerArgs(_Args):
    customer_id: str = Id
    fields: CustomerFields


def _conversation(session: Session, user: m.User, cid: str, *, lock: bool = True) -> m.Conversation:
    conv = session.get(m.Conversation, cid, with_for_update=lock)
    if conv is None or conv.realm != realm_of(user):
        raise Reject(RejectCode.NOT_FOUND, "This conversation does not exist.")
    if conv.deleted_at is not None:
        raise Reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    return conv


def _name(session: Session, user_id: str | None) -> str:
    if user_id is None:
        return "nobody"
    u = session.get(m.User, user_id)
    return u.display_name if u else "another agent"


def _snapshot(obj: m.Base, fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        v = getattr(obj, f)
        out[f] = v.isoformat() if isinstance(v, datetime) else v
    return out


def _template_text(session: Session, conv: m.Conversation, a: SendArgs) -> str:
    """The rendered template text, checked against the server's list of approved ones."""
    assert a.template is not None
    if a.is_note:
        raise Reject(RejectCode.INVALID, "A template goes to the customer; it cannot be a note.")
    if conv.channel != Channel.WHATSAPP.value:
        raise Reject(RejectCode.INVALID, "Templates can only be sent on WhatsApp.")
    if a.attachments:  # a template payload carries none: they would be shown, never sent
        raise Reject(RejectCode.INVALID, "A template cannot carry files; send them separately.")
    choice = wa_templates.TemplateSend(
        a.template.name, a.template.language, tuple(a.template.parameters)
    )
    try:
        return wa_templates.check(session, choice)
    except wa_templates.TemplateRefused as exc:
        raise Reject.of(exc) from None


def preview_of(body_text: str) -> str:
    """A conversation's preview line after a reply with ``body_text``."""
    stripped = body_text.strip()
    return stripped.splitlines()[0][:300] if stripped else ""


def send(session: Session, user: m.User, a: SendArgs) -> None:
    # A reply or note queued (offline) into a conversation merged away since lands where the
    # conversation lives now (docs/merge-split.md); the feed moves the desk's copy. Only the
    # one it lands in is locked (a merge and its undo lock both in id order).
    conv = _conversation(session, user, a.conversation_id, lock=False)
    conv = _conversation(session, user, merge_follow(session, conv).id)
    if conv.merged_into_id is not None:  # what it was merged into was deleted since
        raise Reject(RejectCode.DELETED, "This conversation was deleted by an administrator.")
    if session.get(m.Message, a.message_id) is not None:
        raise Reject(RejectCode.CONFLICT, "A message with this id already exists.")
    now = utcnow()
    if a.template is not None:
        # What the customer receives, so the thread shows it (not the desk's own rendering).
        a = a.model_copy(update={"body_text": _template_text(session, conv, a)})
    elif not a.is_note and (why := free_text_refusal(conv, now)) is not None:
        raise Reject.saying(RejectCode.WINDOW_CLOSED, why)
    session.add(
        m.Message(
            id=a.message_id,
            realm=conv.realm,
            conversation_id=conv.id,
            channel=conv.channel,
            direction=Direction.OUT.value,
            is_note=a.is_note,
            author_user_id=user.id,
            author_name=user.display_name,
            subject=a.subject,
            body_text=a.body_text,
            attachments=outgoing.resolve(
                session,
                conv.channel,
                a.attachments,
                note=a.is_note,
                user_id=user.id,
                realm=conv.realm,
            ),
            delivery_status=(DeliveryStatus.SENT if a.is_note else DeliveryStatus.QUEUED).value,
            created_at=now,
            # What the dispatcher sends as Meta's template payload (server-only column).
            template=a.template.model_dump() if a.template is not None else None,
        )
    )
    conv.message_count += 1
    conv.last_message_at = now
    if not a.is_note:
        conv.preview = preview_of(a.body_text)
        conv.waiting_since = None
        if conv.first_response_at is None:
            conv.first_response_at = now
    audit.record(
        session,
        user.id,
        MutationType.MESSAGE_SEND,
        "message",
        a.message_id,
        after={"conversation_id": conv.id, "is_note": a.is_note}
        | ({"template": a.template.model_dump()} if a.template is not None else {}),
    )
    # Mentions (issue 14, docs/mentions.md): one row per teammate, to their desk alone.
    mention_ops.record(session, user, conv, a)


def claim(session: Session, user: m.User, a: ConversationArgs) -> None:
    conv = _conversation(session, user, a.conversation_id)
    if conv.assignee_id not in (None, user.id):
        raise Reject(
            RejectCode.ALREADY_ASSIGNED,
            "{name} has already taken this conversation.",
            name=_name(session, conv.assignee_id),
        )
    if conv.assignee_id == user.id:
        return
    audit.record(
        session,
        user.id,
        MutationType.CONVERSATION_CLAIM,
        "conversation",
        conv.id,
        {"assignee_id": None},
        {"assignee_id": user.id},
    )
    conv.assignee_id = user.id


def assign(session: Session, user: m.User, a: AssignArgs) -> None:
    if user.role == Role.TRAINEE.value and a.assignee_id not in (None, user.id):
        raise Reject(RejectCode.FORBIDDEN, "Trainees can only assign conversations to themselves.")
    conv = _conversation(session, user, a.conversation_id)
    if a.assignee_id is not None:
        target = session.get(m.User, a.assignee_id)
        if target is None or not target.active:
            raise Reject(RejectCode.NOT_FOUND, "That teammate does not exist or is disabled.")
        if not can_read(target.role, conv.realm):
            # A trainee never sees production (nor anyone else the sandbox): a conversation
            # given to them would sit in a queue nobody can open.
            if conv.realm == "production":
                raise Reject(
                    RejectCode.ASSIGNEE_CANNOT_READ,
                    "{name} cannot see this conversation ({role}s work in the training sandbox).",
                    name=target.display_name,
                    role=target.role,
                )
            raise Reject(
                RejectCode.ASSIGNEE_CANNOT_READ,
                "{name} cannot see this conversation ({role}s work in the production).",
                name=target.display_name,
                role=target.role,
            )
    if (
        (a.team_id is not None or a.set_team)
        and a.team_id is not None
        and session.get(m.Team, a.team_id) is None
    ):
        raise Reject(RejectCode.NOT_FOUND, "That team does not exist.")
    before = _snapshot(conv, ["assignee_id", "team_id"])
    conv.assignee_id = a.assignee_id
    if (a.team_id is not None or a.set_team) and conv.team_id != a.team_id:
        conv.team_id = a.team_id
        sla_store.follow_changes(session, conv)  # the new team's business hours
    audit.record(
        session,
        user.id,
        MutationType.CONVERSATION_ASSIGN,
        "conversation",
        conv.id,
        before,
        _snapshot(conv, ["assignee_id", "team_id"]),
    )


def set_status(session: Session, user: m.User, a: StatusArgs) -> None:
    conv = _conversation(session, user, a.conversation_id)
    now = utcnow()
    if a.status == ConversationStatus.SNOOZED:
        if a.snoozed_until is None or a.snoozed_until.tzinfo is None:
            raise Reject(RejectCode.INVALID, "Snoozing needs a time with a time zone.")
        if a.snoozed_until <= now:
            raise Reject(RejectCode.INVALID, "The snooze time is in the past.")
        if a.snoozed_until - now > MAX_AHEAD:  # as reminders and scheduled replies
            raise Reject(RejectCode.INVALID, "That is more than a year ahead.")
    before = _snapshot(conv, ["status", "snoozed_until"])
    was_resolved = conv.status == ConversationStatus.RESOLVED.value
    before_resolved_at = conv.resolved_at
    if a.status != ConversationStatus.RESOLVED:
        reopens.record(conv, now, reopens.AGENT, by_user_id=user.id, session=session)
    conv.status = a.status.value
    conv.snoozed_until = a.snoozed_until if a.status == ConversationStatus.SNOOZED else None
    conv.resolved_at = now if a.status == ConversationStatus.RESOLVED else None
    if was_resolved and a.status == ConversationStatus.RESOLVED and before_resolved_at:
        # Resolving a resolved conversation again is not a new resolution: its time stays
        # (a survey's digit reply is matched to the resolution it asked about).
        conv.resolved_at = before_resolved_at
    if a.status == ConversationStatus.RESOLVED:  # a new resolution may send a survey
        survey_ops.on_resolved(session, conv, now, was_resolved=was_resolved)
    audit.record(
        session,
        user.id,
        MutationType.CONVERSATION_STATUS,
        "conversation",
        conv.id,
        before,
        _snapshot(conv, ["status", "snoozed_until"]),
    )


def set_priority(session: Session, user: m.User, a: PriorityArgs) -> None:
    conv = _conversation(session, user, a.conversation_id)
    before = _snapshot(conv, ["priority"])
    if conv.priority != a.priority.value:
        conv.priority = a.priority.value
        sla_store.follow_changes(session, conv)  # the new priority's targets
    audit.record(
        session,
        user.id,
        MutationType.CONVERSATION_PRIORITY,
        "conversation",
        conv.id,
        before,
        {"priority": conv.priority},
    )


def set_tags(session: Session, user: m.User, a: TagsArgs) -> None:
    conv = _conversation(session, user, a.conversation_id)
    before = list(conv.tags or [])
    tags = edit_tags(before, a.add, a.remove)
    conv.tags = tags
    audit.record(
        session,
        user.id,
        MutationType.CONVERSATION_TAGS,
        "conversation",
        conv.id,
        {"tags": before},
        {"tags": tags},
    )


def delete(session: Session, user: m.User, a: ConversationArgs) -> None:
    if user.role != Role.ADMIN.value:
        raise Reject(RejectCode.FORBIDDEN, "Only an administrator can delete conversations.")
    conv = _conversation(session, user, a.conversation_id)
    conv.deleted_at = utcnow()
    audit.record(session, user.id, MutationType.CONVERSATION_DELETE, "conversation", conv.id)


def update_customer(session: Session, user: m.User, a: CustomerArgs) -> None:
    """Field-by-field merge: only the fields sent change, so two agents editing different
    fields of one profile both keep their edit; on the same field the later push wins."""
    cust = session.get(m.Customer, a.customer_id, with_for_update=True)
    if cust is None or cust.realm != realm_of(user):
        raise Reject(RejectCode.NOT_FOUND, "This customer does not exist.")
    if cust.merged_into_id is not None:
        raise Reject(RejectCode.DELETED, "This customer was merged into another profile.")
    changes = a.fields.model_dump(exclude_unset=True)
    if not changes:
        raise Reject(RejectCode.INVALID, "No fields to change.")
    if "name" in changes and changes["name"] is None:
        raise Reject(RejectCode.INVALID, "A customer's name cannot be empty.")
    if "contact_opt_out" in changes and changes["contact_opt_out"] is None:
        raise Reject(RejectCode.INVALID, "Say whether the customer may be contacted first.")
    try:  # the desk's own check, the same rules: the server has the last word for any client
        changes = clean_fields(changes)
    except FieldError as exc:
        raise Reject.saying(RejectCode.INVALID, exc.phrase) from None
    before = _snapshot(cust, list(changes))
    for key, value in changes.items():
        setattr(cust, key, value.value if isinstance(value, LoyaltyTier) else value)
    if "language" in changes:
        cust.language_source = "agent"  # detection never overrides an agent's choice
    audit.record(
        session,
        user.id,
        MutationType.CUSTOMER_UPDATE,
        "customer",
        cust.id,
        before,
        _snapshot(cust, list(changes)),
    )


Handler = Callable[[Session, m.User, Any], None]
HANDLERS: dict[str, tuple[type[BaseModel], Handler]] = {
    MutationType.MESSAGE_SEND: (SendArgs, send),
    MutationType.CONVERSATION_CLAIM: (ConversationArgs, claim),
    MutationType.CONVERSATION_ASSIGN: (AssignArgs, assign),
    MutationType.CONVERSATION_STATUS: (StatusArgs, set_status),
    MutationType.CONVERSATION_PRIORITY: (PriorityArgs, set_priority),
    MutationType.CONVERSATION_TAGS: (TagsArgs, set_tags),
    MutationType.CONVERSATION_DELETE: (ConversationArgs, delete),
    MutationType.CUSTOMER_UPDATE: (CustomerArgs, update_customer),
    MutationType.CUSTOMER_MERGE: (channel_ops.MergeArgs, channel_ops.merge),
    MutationType.CUSTOMER_UNMERGE: (channel_ops.UnmergeArgs, channel_ops.unmerge),
    MutationType.CONVERSATION_LINK_CUSTOMER: (channel_ops.LinkArgs, channel_ops.link_customer),
    MutationType.MESSAGE_RETRY: (channel_ops.RetryArgs, channel_ops.retry),
    MutationType.CUSTOMER_LINK_MATCH: (channel_ops.LinkMatchArgs, channel_ops.link_match),
    MutationType.CALL_TAKE: (call_ops.TakeArgs, call_ops.take),
    MutationType.CALL_WRAP_UP: (call_ops.WrapUpArgs, call_ops.wrap_up),
    MutationType.CONVERSATION_START: (start_ops.StartArgs, start_ops.start),
    MutationType.OUTREACH_SEND: (outreach_ops.SendArgs, outreach_ops.send),
    MutationType.OUTREACH_DISMISS: (outreach_ops.DismissArgs, outreach_ops.dismiss),
    MutationType.ORDER_ACT: (order_ops.ActArgs, order_ops.act),
    MutationType.ORDER_ACTION_DECIDE: (order_ops.DecideArgs, order_ops.decide),
    MutationType.CUSTOMER_GOODWILL: (order_ops.GoodwillArgs, order_ops.goodwill),
}
# Click-to-call and callback tasks (issue 11): registered in a block of their own.
from csdesk.server.callbacks import service as callback_ops  # noqa: E402
from csdesk.server.channels import callout as callout_ops  # noqa: E402

HANDLERS |= {
    MutationType.CALL_PLACE: (callout_ops.PlaceArgs, callout_ops.place),
    MutationType.USER_SET_CALL_PHONE: (callout_ops.CallPhoneArgs, callout_ops.set_call_phone),
    MutationType.CALLBACK_SCHEDULE: (callback_ops.ScheduleArgs, callback_ops.schedule),
    MutationType.CALLBACK_UPDATE: (callback_ops.UpdateArgs, callback_ops.update),
    MutationType.CALLBACK_CANCEL: (callback_ops.CallbackArgs, callback_ops.cancel),
    MutationType.CALLBACK_TAKE: (callback_ops.CallbackArgs, callback_ops.take),
}
# Quality review (issue 12, docs/qa.md).
from csdesk.server.qa import service as qa_ops  # noqa: E402

# Satisfaction surveys (issue 12): a resolution may send one (``set_status``).
from csdesk.server.surveys import send as survey_ops  # noqa: E402

HANDLERS |= {
    MutationType.QA_RUBRIC_SAVE: (qa_ops.RubricArgs, qa_ops.save_rubric),
    MutationType.QA_REVIEW_SAVE: (qa_ops.ReviewArgs, qa_ops.save_review),
}


def apply(session: Session, user: m.User, mtype: str, args: dict[str, Any]) -> None:
    handler, parsed = parse(mtype, args)
    handler(session, user, parsed)


def parse(mtype: str, args: dict[str, Any]) -> tuple[Handler, BaseModel]:
    """The handler for ``mtype`` and its validated arguments; ``Reject`` if either is bad."""
    entry = HANDLERS.get(mtype)
    if entry is None:
        raise Reject(RejectCode.UNKNOWN_TYPE, "Unknown mutation type {type}.", type=repr(mtype))
    model, handler = entry
    try:
        parsed = model.model_validate(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "args"
        raise Reject(
            RejectCode.INVALID, "Invalid {where}: {problem}.", where=where, problem=first["msg"]
        ) from None
    return handler, parsed


# The training review (issue 12): results, comments, assignments, published scenarios.
from csdesk.server.training import results as training_ops  # noqa: E402

HANDLERS |= training_ops.handlers()

# The live floor (issue 12, docs/floor.md): an agent's status, a supervisor's message.
from csdesk.server.floor import mutations as floor_ops  # noqa: E402

HANDLERS |= {
    MutationType.AGENT_SET_STATUS: (floor_ops.SetStatusArgs, floor_ops.set_status),
    MutationType.FLOOR_MESSAGE_SEND: (floor_ops.MessageArgs, floor_ops.send_message),
}

# Routing rules and agents' skills (issue 14, docs/routing.md): supervisors and admins only.
from csdesk.server.routing import mutations as routing_ops  # noqa: E402

HANDLERS |= routing_ops.handlers()
# The SLA policy and team business hours (issue 12, docs/sla.md): supervisors and admins.
from csdesk.server.sla import mutations as sla_ops  # noqa: E402

HANDLERS |= sla_ops.handlers()
# The knowledge base (issue 14, docs/knowledge-base.md): supervisors and admins edit articles.
from csdesk.server.kb import mutations as kb_ops  # noqa: E402

HANDLERS |= kb_ops.handlers()
# Canned responses and macros (issue 14, docs/macros.md): personal by anyone, shared by leads.
from csdesk.server.macros import mutations as macro_ops  # noqa: E402

HANDLERS |= macro_ops.handlers()
# Mentions (issue 14, docs/mentions.md): the mentioned user marks one read.
HANDLERS |= mention_ops.handlers()
# Merging and splitting conversations (issue 14, docs/merge-split.md): any agent, own realm.
from csdesk.server.conversation_merge import mutations as conversation_merge_ops  # noqa: E402

HANDLERS |= conversation_merge_ops.handlers()
# Scheduled send and follow-up reminders (issue 14, docs/scheduled-send.md).
from csdesk.server.scheduled import mutations as scheduled_ops  # noqa: E402

HANDLERS |= scheduled_ops.handlers()
# Deleting a quality review (docs/qa.md): supervisors and administrators only.
HANDLERS |= {MutationType.QA_REVIEW_DELETE: (qa_ops.DeleteReviewArgs, qa_ops.delete_review)}
# --- side conversations (issue 14, docs/side-conversations.md): forward by email ---
from csdesk.server.side import mutations as side_ops  # noqa: E402

HANDLERS |= side_ops.handlers()
