"""The sync wire format, shared by the server and the client. Standard library only.

Pull:  ``GET  /api/v1/changes?after=<cursor>&limit=<n>&wait=<seconds>``
       -> ``{"changes": [Change...], "cursor": int, "head": int, "more": bool}``
       A change is the *latest* state of one entity: ``{"seq", "entity", "id", "deleted",
       "data"}``. An entity appears once in the feed (a newer write replaces its older row), so
       an initial sync streams the whole account once, page by page, and can resume from any
       page's ``cursor``.
Push:  ``POST /api/v1/push`` with ``{"mutations": [Mutation...]}``
       -> ``{"results": [{"id", "status": "applied"|"duplicate"|"rejected", "reason"?,
       "seq"?}]}``. Mutations are applied in order, each in its own transaction; a mutation id
       seen before answers ``duplicate`` with the original outcome and changes nothing.
Errors: every 4xx/5xx body is ``{"error": {"code": str, "message": str, "details"?: ...}}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, NotRequired, TypedDict

API_PREFIX: Final = "/api/v1"
DEFAULT_PAGE: Final = 500
MAX_PAGE: Final = 5000
MAX_WAIT_SECONDS: Final = 30.0
DEFAULT_WAIT_SECONDS: Final = 25.0
MAX_PUSH_BATCH: Final = 200


class Entity(StrEnum):
    """Entity names on the wire; each maps to one table (see ``storage.wire``)."""

    USER = "user"
    TEAM = "team"
    CUSTOMER = "customer"
    IDENTITY = "identity"
    CONVERSATION = "conversation"
    MESSAGE = "message"
    ORDER = "order"
    ORDER_LINE = "order_line"
    SHIPMENT = "shipment"
    RETURN = "return"
    ORDER_ACTION = "order_action"
    CANNED_RESPONSE = "canned_response"
    CALL = "call"
    CALL_SCRIPT = "call_script"
    IDENTITY_CLAIM = "identity_claim"
    CUSTOMER_STATS = "customer_stats"  # the server's figures of one customer
    CUSTOMER_EVENT = "customer_event"  # a profile change for the customer's timeline
    CALLBACK = "callback"  # a promised call back: when, to whom, assigned to an agent or the queue
    OUTREACH = "outreach"  # a late order to tell the customer about
    SURVEY_ANSWER = "survey_answer"
    TRAINING_SCENARIO = "training_scenario"  # a scenario the server publishes (every realm)
    # Quality review (issue 12, docs/qa.md): a rubric version; a review (leads' feed only).
    QA_RUBRIC = "qa_rubric"
    QA_REVIEW = "qa_review"
    AGENT_STATUS = "agent_status"  # an agent's status now (docs/floor.md)
    FLOOR_MESSAGE = "floor_message"  # a supervisor's message to one agent's desk
    # Routing (issue 14, docs/routing.md): the rules, and each agent's languages and channels.
    ROUTING_RULE = "routing_rule"
    AGENT_SKILLS = "agent_skills"
    # SLA policy and business hours (issue 12, docs/sla.md): every desk, every realm.
    SLA_POLICY = "sla_policy"
    TEAM_HOURS = "team_hours"
    # Knowledge base (issue 14, docs/knowledge-base.md): articles and their language variants.
    KB_ARTICLE = "kb_article"
    KB_VARIANT = "kb_variant"
    # Macros (issue 14, docs/macros.md): several actions in one; personal ones reach only
    # their owner's desk (``wire.FEED_PERSONAL``).
    MACRO = "macro"
    # Mentions (issue 14, docs/mentions.md): a teammate named in an internal note; each row
    # reaches only the mentioned user's desk (``wire.FEED_PERSONAL``).
    MENTION = "mention"
    # Scheduled send and follow-up reminders (issue 14, docs/scheduled-send.md): a reply the
    # server holds until its time (every desk of the realm); a reminder is its owner's alone
    # (``wire.FEED_PERSONAL``).
    SCHEDULED_MESSAGE = "scheduled_message"
    REMINDER = "reminder"
    # --- side conversations (issue 14, docs/side-conversations.md) ---
    # A conversation or message forwarded by email to an outside address, and its messages
    # (what went out, what came back): beside the customer's thread, never in it.
    SIDE_CONVERSATION = "side_conversation"
    SIDE_MESSAGE = "side_message"
    # --- favourite macro keys (issue 14, docs/macros.md): one row a user, their desks only ---
    MACRO_KEYS = "macro_keys"


class MutationType(StrEnum):
    MESSAGE_SEND = "message.send"  # reply or internal note
    CONVERSATION_CLAIM = "conversation.claim"  # assign to me, only if still unassigned
    CONVERSATION_ASSIGN = "conversation.assign"  # to a teammate / team / nobody
    CONVERSATION_STATUS = "conversation.set_status"  # open/pending/snoozed/resolved
    CONVERSATION_PRIORITY = "conversation.set_priority"
    CONVERSATION_TAGS = "conversation.set_tags"
    CONVERSATION_DELETE = "conversation.delete"  # admin only
    CUSTOMER_UPDATE = "customer.update"  # field-by-field merge
    CUSTOMER_MERGE = "customer.merge"  # fold one profile into another (undoable)
    CUSTOMER_UNMERGE = "customer.unmerge"  # undo the latest merge of a profile
    CONVERSATION_LINK_CUSTOMER = "conversation.link_customer"  # file under another customer
    MESSAGE_RETRY = "message.retry"  # re-queue a failed outbound message
    CALL_TAKE = "call.take"  # answer a ringing call, only if nobody has taken it yet
    CALL_WRAP_UP = "call.wrap_up"  # the agent's notes, disposition and script trail
    CUSTOMER_LINK_MATCH = "customer.link_match"  # act on a typed identity's possible match
    # Order actions (``server/commerce/order_actions.py``): refund, return, exchange, cancel,
    # resend, address change or note; a supervisor's decision on a refund above the limit;
    # goodwill points or store credit for a customer.
    ORDER_ACT = "order.act"
    ORDER_ACTION_DECIDE = "order_action.decide"
    CUSTOMER_GOODWILL = "customer.goodwill"
    # Outbound calls and callbacks (issue 11): see server/channels/callout.py, server/callbacks.
    CALL_PLACE = "call.place"  # click-to-call: ring the agent's phone, then the customer
    USER_SET_CALL_PHONE = "user.set_call_phone"  # the phone or client a click-to-call rings
    CALLBACK_SCHEDULE = "callback.schedule"  # a new callback task (by hand or from a wrap-up)
    CALLBACK_UPDATE = "callback.update"  # another time, assignee or note
    CALLBACK_CANCEL = "callback.cancel"
    CALLBACK_TAKE = "callback.take"  # take one from the queue (or acknowledge one given to me)
    CONVERSATION_START = "conversation.start"  # a new outbound conversation to a customer
    OUTREACH_SEND = "outreach.send"  # write to a late order's customer (starts a conversation)
    OUTREACH_DISMISS = "outreach.dismiss"  # decide not to write about a late order
    # Training review (issue 12): see server/training and docs/training-review.md.
    TRAINING_RECORD = "training.record"  # a finished training session, under its trainee
    TRAINING_COMMENT = "training.comment"  # a supervisor's feedback on a session
    TRAINING_ASSIGN = "training.assign"  # a scenario a supervisor gives a trainee to practise
    TRAINING_UNASSIGN = "training.unassign"
    TRAINING_PUBLISH = "training.publish"  # a new or changed scenario for every desk
    # Quality review (issue 12): supervisors and administrators only.
    QA_RUBRIC_SAVE = "qa.rubric.save"  # a new version of a rubric (older reviews keep theirs)
    QA_REVIEW_SAVE = "qa.review.save"  # create or edit a review of a conversation
    # The live floor (docs/floor.md): an agent's chosen status; a supervisor's message.
    AGENT_SET_STATUS = "agent.set_status"
    FLOOR_MESSAGE_SEND = "floor.message"
    # Routing (docs/routing.md): supervisors and administrators only.
    ROUTING_RULE_SAVE = "routing.rule.save"  # create or change a rule
    ROUTING_RULE_MOVE = "routing.rule.move"  # one place up or down
    ROUTING_RULE_DELETE = "routing.rule.delete"
    AGENT_SKILLS_SET = "agent.skills.set"  # an agent's languages and channels
    # SLA policy (docs/sla.md): supervisors and administrators only.
    SLA_POLICY_SAVE = "sla.policy.save"  # targets and escalation options
    SLA_HOURS_SAVE = "sla.hours.save"  # one team's hours, holidays and time zone
    # Knowledge base (docs/knowledge-base.md): supervisors and administrators only.
    KB_ARTICLE_SAVE = "kb.article.save"  # create or replace an article and its variants
    KB_ARTICLE_DELETE = "kb.article.delete"
    # Canned responses and macros (issue 14, docs/macros.md): personal ones by anyone, team
    # and everyone's by supervisors and administrators; a use counted on the server.
    CANNED_SAVE = "canned.save"
    CANNED_DELETE = "canned.delete"
    CANNED_USED = "canned.used"
    MACRO_SAVE = "macro.save"
    MACRO_DELETE = "macro.delete"
    MACRO_USED = "macro.used"
    # Mentions (issue 14, docs/mentions.md): made by ``message.send`` (a note's ``mentions``);
    # the mentioned user marks one read.
    MENTION_READ = "mention.read"
    # Merging and splitting conversations (issue 14, docs/merge-split.md): any agent of the
    # realm; the same customer only; an undo while no new message came in.
    CONVERSATION_MERGE = "conversation.merge"  # the source's messages into the target
    CONVERSATION_UNMERGE = "conversation.unmerge"  # both back exactly as they were
    CONVERSATION_SPLIT = "conversation.split"  # a message (and later ones) into a new one
    # Scheduled send and follow-up reminders (issue 14, docs/scheduled-send.md).
    SCHEDULED_SEND = "scheduled.send"  # a reply the server sends at ``send_at``
    SCHEDULED_EDIT = "scheduled.edit"  # its text or time, until it has gone
    SCHEDULED_CANCEL = "scheduled.cancel"
    REMINDER_SET = "reminder.set"  # remind me about this conversation at ``due_at``
    REMINDER_DISMISS = "reminder.dismiss"  # done with it (or never mind, before it is due)
    # Deleting a quality review (docs/qa.md): supervisors and administrators only.
    QA_REVIEW_DELETE = "qa.review.delete"
    # --- side conversations (issue 14, docs/side-conversations.md) ---
    SIDE_FORWARD = "side.forward"  # forward a conversation or message to an outside address
    SIDE_REPLY = "side.reply"  # write again to the outside address, in the side conversation
    SIDE_RETRY = "side.retry"  # send a failed side mail again (docs/side-conversations.md)
    # --- favourite macro keys (issue 14, docs/macros.md): put a macro on Ctrl+Alt+n or off ---
    MACRO_KEY = "macro.key"


class RejectCode(StrEnum):
    """Why the server refused a mutation; the client shows ``reason.message`` to the agent."""

    INVALID = "invalid"  # arguments malformed or of the wrong type
    UNKNOWN_TYPE = "unknown_type"
    NOT_FOUND = "not_found"  # the id never existed
    DELETED = "deleted"  # it existed and was deleted (e.g. by an admin)
    ALREADY_ASSIGNED = "already_assigned"  # lost a claim race
    FORBIDDEN = "forbidden"  # the caller's role may not do this
    CONFLICT = "conflict"  # any other lost race
    CALL_ENDED = "call_ended"  # the call ended (missed) before this desk answered it
    ASSIGNEE_CANNOT_READ = "assignee_cannot_read"  # e.g. a trainee given a production case
    WINDOW_CLOSED = "window_closed"  # WhatsApp free text after the 24-hour window: use a template


class ResultStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class Reason(TypedDict):
    code: str
    message: str
    # Refusals in the desk's language (issue 13): the English ``message``'s brace template and
    # its JSON-primitive params; the desk translates the template (``csdesk.sync.reasons``).
    template: NotRequired[str]
    params: NotRequired[dict[str, str | int | float | bool]]


class Change(TypedDict):
    seq: int
    entity: str
    id: str
    deleted: bool
    data: dict[str, Any] | None


class PullPage(TypedDict):
    changes: list[Change]
    cursor: int
    head: int
    more: bool


class Mutation(TypedDict):
    id: str
    type: str
    args: dict[str, Any]


class MutationResult(TypedDict):
    id: str
    status: str
    reason: NotRequired[Reason]
    seq: NotRequired[int]
    original_status: NotRequired[str]  # with "duplicate": what the first delivery got
