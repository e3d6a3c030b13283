"""The floor's rules without a server: the shown status from its three facts, the order
lists put agents in, and the board's queue figures (waiting, oldest wait, SLA)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csdesk.domain.agent_status import AgentStatus, effective, is_available, parse, rank
from csdesk.domain.floor import ConvFacts, open_per_agent, queues

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_call_wins_over_a_closed_desk_and_the_choice_comes_back() -> None:
    away = AgentStatus.AWAY
    assert effective(away, on_call=False, online=True) == AgentStatus.AWAY
    assert effective(away, on_call=True, online=True) == AgentStatus.ON_CALL
    assert effective(away, on_call=True, online=False) == AgentStatus.ON_CALL
    assert effective(away, on_call=False, online=False) == AgentStatus.OFFLINE


def test_unknown_statuses_read_offline_and_available_agents_sort_first() -> None:
    assert parse(None) == parse("") == parse("lunch") == AgentStatus.OFFLINE
    assert is_available("available") and not is_available("on_call") and not is_available(None)
    order = sorted(["offline", "away", "available", "on_call", None], key=rank)
    assert order[0] == "available" and order[-1] in ("offline", None)


def _conv(
    n: int,
    *,
    channel: str = "email",
    status: str = "open",
    assignee: str | None = None,
    team: str | None = None,
    waiting: timedelta | None = None,
    due: timedelta | None = None,
) -> ConvFacts:
    return ConvFacts(
        id=f"c{n}",
        channel=channel,
        status=status,
        assignee_id=assignee,
        team_id=team,
        waiting_since=NOW - waiting if waiting is not None else None,
        created_at=NOW - timedelta(hours=2),
        first_response_due_at=NOW + due if due is not None else None,
        resolution_due_at=None,
        first_response_at=None,
    )


def test_queue_figures_count_waiting_oldest_and_sla() -> None:
    convs = [
        _conv(1, waiting=timedelta(minutes=5), due=timedelta(hours=1)),  # ok
        _conv(2, waiting=timedelta(minutes=50), due=timedelta(minutes=-1)),  # breached
        _conv(3, channel="chat", assignee="ann", team="t1", due=timedelta(minutes=5)),  # at risk
        _conv(4, channel="chat", status="resolved", waiting=timedelta(days=3)),  # not live
        _conv(5, channel="sms", status="pending", assignee="ann"),
    ]
    unassigned, chat, email, sms, team = queues(convs, NOW)
    assert (unassigned.kind, unassigned.open, unassigned.waiting) == ("unassigned", 2, 2)
    assert unassigned.oldest_wait == timedelta(minutes=50)
    assert (unassigned.at_risk, unassigned.breached) == (0, 1)
    assert (chat.key, chat.open, chat.waiting, chat.at_risk) == ("chat", 1, 0, 1)
    assert chat.oldest_wait is None
    assert (email.key, email.open, email.breached) == ("email", 2, 1)
    assert (sms.key, sms.open) == ("sms", 1)
    assert (team.kind, team.key, team.conversation_ids) == ("team", "t1", ["c3"])
    assert open_per_agent(convs) == {"ann": 2}


def test_a_wait_from_a_skewed_clock_is_never_negative() -> None:
    [unassigned, _email] = queues([_conv(1, waiting=timedelta(minutes=-3))], NOW)
    assert unassigned.oldest_wait == timedelta(0)
