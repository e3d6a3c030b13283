"""The SLA clock: which target matters, its boundaries, and the wording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from csdesk.domain.enums import ConversationStatus
from csdesk.domain.sla import (
    AtRiskPolicy,
    SlaClock,
    SlaState,
    SlaStatus,
    countdown_text,
    duration_text,
    sla_state,
    sla_text,
    waiting_text,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
POLICY = AtRiskPolicy(within=timedelta(minutes=15), fraction=0.0)


def state(
    *,
    status: ConversationStatus | str = ConversationStatus.OPEN,
    fr_due: datetime | None = None,
    res_due: datetime | None = None,
    fr_at: datetime | None = None,
    started: datetime | None = None,
    policy: AtRiskPolicy = POLICY,
    now: datetime = NOW,
) -> SlaState:
    return sla_state(
        now,
        status=status,
        first_response_due_at=fr_due,
        resolution_due_at=res_due,
        first_response_at=fr_at,
        started_at=started,
        policy=policy,
    )


# --- which clock and which status ------------------------------------------------------------


def test_first_response_clock_runs_until_answered() -> None:
    result = state(fr_due=NOW + 60 * MIN, res_due=NOW + 600 * MIN)
    assert result == SlaState(SlaStatus.OK, SlaClock.FIRST_RESPONSE, NOW + 60 * MIN, 60 * MIN)


def test_resolution_clock_after_first_response() -> None:
    result = state(fr_due=NOW + 60 * MIN, res_due=NOW + 600 * MIN, fr_at=NOW - 5 * MIN)
    assert result.clock is SlaClock.RESOLUTION
    assert result.due_at == NOW + 600 * MIN
    assert result.status is SlaStatus.OK


def test_resolution_due_sooner_than_first_response_wins() -> None:
    result = state(fr_due=NOW + 60 * MIN, res_due=NOW - 1 * MIN)
    assert result.clock is SlaClock.RESOLUTION
    assert result.status is SlaStatus.BREACHED


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        (16 * MIN, SlaStatus.OK),
        (15 * MIN + timedelta(seconds=1), SlaStatus.OK),
        (15 * MIN, SlaStatus.AT_RISK),  # the threshold itself is at risk
        (1 * MIN, SlaStatus.AT_RISK),
        (timedelta(0), SlaStatus.AT_RISK),  # due exactly now: still on time
        (-timedelta(seconds=1), SlaStatus.BREACHED),
        (-90 * MIN, SlaStatus.BREACHED),
    ],
)
def test_boundaries(remaining: timedelta, expected: SlaStatus) -> None:
    result = state(fr_due=NOW + remaining)
    assert result.status is expected
    assert result.remaining == remaining


def test_fraction_of_span_makes_long_targets_at_risk_earlier() -> None:
    policy = AtRiskPolicy(within=timedelta(minutes=15), fraction=0.25)
    started = NOW - 18 * 60 * MIN  # 24 h target, 6 h left: exactly a quarter
    assert state(res_due=NOW + 6 * 60 * MIN, started=started, policy=policy).status is (
        SlaStatus.AT_RISK
    )
    assert state(res_due=NOW + 7 * 60 * MIN, started=started, policy=policy).status is (
        SlaStatus.OK
    )
    # Without a start time only the fixed minutes apply.
    assert state(res_due=NOW + 6 * 60 * MIN, policy=policy).status is SlaStatus.OK


def test_fixed_minutes_win_when_the_fraction_is_shorter() -> None:
    policy = AtRiskPolicy(within=timedelta(minutes=15), fraction=0.1)
    started = NOW - 50 * MIN  # 1 h target: 10 % is 6 min, the 15 min floor applies
    assert state(fr_due=NOW + 10 * MIN, started=started, policy=policy).status is (
        SlaStatus.AT_RISK
    )


@pytest.mark.parametrize("status", [ConversationStatus.SNOOZED, ConversationStatus.RESOLVED])
def test_snoozed_and_resolved_are_paused(status: ConversationStatus) -> None:
    result = state(status=status, fr_due=NOW - 5 * MIN, res_due=NOW + 60 * MIN)
    assert result.status is SlaStatus.PAUSED
    assert result.due_at == NOW - 5 * MIN
    assert result.remaining is None
    assert state(status=status).status is SlaStatus.PAUSED


def test_pending_keeps_running() -> None:
    result = state(status="pending", fr_due=NOW - 5 * MIN)
    assert result.status is SlaStatus.BREACHED


def test_met_on_time_including_exactly_at_due() -> None:
    assert state(fr_due=NOW - 5 * MIN, fr_at=NOW - 5 * MIN).status is SlaStatus.MET
    result = state(fr_due=NOW + 5 * MIN, fr_at=NOW - 1 * MIN)
    assert result == SlaState(SlaStatus.MET, SlaClock.FIRST_RESPONSE, NOW + 5 * MIN, None)


def test_first_response_given_late_is_breached_without_running_clock() -> None:
    result = state(fr_due=NOW - 10 * MIN, fr_at=NOW - 5 * MIN)
    assert result.status is SlaStatus.BREACHED
    assert result.remaining is None


def test_no_target() -> None:
    assert state() == SlaState(SlaStatus.NONE)
    assert state(fr_at=NOW).status is SlaStatus.NONE


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError):
        state(status="archived", fr_due=NOW)


def test_other_time_zones_compare_by_instant() -> None:
    plus_two = timezone(timedelta(hours=2))
    due = datetime(2025, 3, 10, 14, 10, tzinfo=plus_two)  # 12:10 UTC
    assert state(fr_due=due).remaining == 10 * MIN


@pytest.mark.parametrize("field", ["now", "fr_due", "res_due", "fr_at", "started"])
def test_naive_datetimes_are_refused(field: str) -> None:
    naive = datetime(2025, 3, 10, 12, 0)
    kwargs: dict[str, datetime] = {"fr_due": NOW + MIN, field: naive}
    with pytest.raises(ValueError, match="timezone-aware"):
        state(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"within": timedelta(minutes=-1)},
        {"fraction": -0.1},
        {"fraction": 1.5},
        {"fraction": float("nan")},
    ],
)
def test_policy_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AtRiskPolicy(**kwargs)  # type: ignore[arg-type]


# --- wording ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 min"),
        (12, "12 min"),
        (59, "59 min"),
        (60, "1 h"),
        (65, "1 h 5 min"),
        (23 * 60 + 59, "23 h 59 min"),
        (24 * 60, "1 d"),
        (27 * 60 + 30, "1 d 3 h"),
    ],
)
def test_duration_text(minutes: int, text: str) -> None:
    assert duration_text(minutes) == text


@pytest.mark.parametrize(
    ("remaining", "text"),
    [
        (12 * MIN, "due in 12 min"),
        (11 * MIN + timedelta(seconds=1), "due in 12 min"),  # rounded up while running
        (timedelta(seconds=20), "due in 1 min"),
        (timedelta(0), "due now"),
        (-timedelta(seconds=20), "overdue by less than 1 min"),
        (-(65 * MIN + timedelta(seconds=59)), "overdue by 1 h 5 min"),  # rounded down once late
    ],
)
def test_countdown_text(remaining: timedelta, text: str) -> None:
    assert countdown_text(remaining) == text


def test_sla_text() -> None:
    assert sla_text(state(fr_due=NOW + 10 * MIN)) == "first response due in 10 min"
    assert sla_text(state(res_due=NOW - 65 * MIN)) == "resolution overdue by 1 h 5 min"
    assert sla_text(state(status="snoozed", fr_due=NOW)) == "SLA paused"
    assert sla_text(state(fr_due=NOW, fr_at=NOW)) == "first response on time"
    assert sla_text(state(fr_due=NOW - MIN, fr_at=NOW)) == "first response was late"
    assert sla_text(state()) is None


def test_wording_goes_through_the_given_gettext() -> None:
    german = {
        "first response {countdown}": "Erstantwort {countdown}",
        "due in {duration}": "fällig in {duration}",
        "waiting {n} minutes": "wartet seit {n} Minuten",
    }
    seen: list[str] = []

    def gettext(message: str) -> str:
        seen.append(message)
        return german.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        seen.append(plural)
        return german.get(plural, plural if n != 1 else singular).replace(" min", " Min.")

    text = sla_text(state(fr_due=NOW + 2 * MIN), gettext=gettext, ngettext=ngettext)
    assert text == "Erstantwort fällig in 2 Min."
    assert {"first response {countdown}", "due in {duration}", "{n} min"} <= set(seen)
    assert waiting_text(NOW - 2 * MIN, NOW, gettext=gettext, ngettext=ngettext) == (
        "wartet seit 2 Minuten"
    )


@pytest.mark.parametrize(
    ("waited", "text"),
    [
        (timedelta(0), "waiting less than a minute"),
        (timedelta(seconds=59), "waiting less than a minute"),
        (MIN, "waiting 1 minute"),
        (5 * MIN + timedelta(seconds=59), "waiting 5 minutes"),
        (60 * MIN, "waiting 1 hour"),
        (125 * MIN, "waiting 2 hours 5 minutes"),
        (61 * MIN, "waiting 1 hour 1 minute"),
        (24 * 60 * MIN, "waiting 1 day"),
        (3 * 24 * 60 * MIN + 5 * MIN, "waiting 3 days"),
        (-5 * MIN, "waiting less than a minute"),  # a skewed clock, not a negative wait
    ],
)
def test_waiting_text(waited: timedelta, text: str) -> None:
    assert waiting_text(NOW - waited, NOW) == text


def test_waiting_text_refuses_naive() -> None:
    with pytest.raises(ValueError):
        waiting_text(datetime(2025, 1, 1), NOW)
    with pytest.raises(ValueError):
        waiting_text(NOW, datetime(2025, 1, 1))


def test_targets_by_channel_class_and_priority() -> None:
    from csdesk.domain.enums import Channel, Priority
    from csdesk.domain.sla_targets import HOUR, MINUTE, due_times, sla_class

    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert [sla_class(c) for c in (Channel.EMAIL, Channel.CHAT, Channel.PHONE, Channel.SMS)] == [
        "email",
        "realtime",
        "realtime",
        "messaging",
    ]
    assert due_times(Channel.CHAT, Priority.NORMAL, start) == (
        start + 30 * MINUTE,
        start + 48 * HOUR,
    )
    assert due_times("email", "urgent", start) == (start + HOUR, start + 8 * HOUR)
