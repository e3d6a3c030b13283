"""The simulated customer and the score: branching on met/missed/escalate, scores from an
injected clock, feedback sentences, hints, ending early, and the history file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csdesk.training import History, ReplyError, TrainingSession, default_dir, load_scenario
from csdesk.training.scoring import duration_text, speed_score
from tests.unit.training.paths import GOOD, StepClock


def _session(scenario_id: str = "where-is-my-order") -> tuple[TrainingSession, StepClock]:
    clock = StepClock()
    return TrainingSession(load_scenario(default_dir() / f"{scenario_id}.json"), clock), clock


def test_the_customer_answers_differently_when_the_reply_missed() -> None:
    session, clock = _session()
    opening = session.start()
    assert opening.text.startswith("Hi, I ordered a floor lamp")
    clock.advance(10)
    turn = session.reply("I'm sorry! What is your order number?")
    assert turn.branch == "met" and turn.customer is not None
    assert turn.customer.step_id == "gives_number"

    session, clock = _session()
    session.start()
    turn = session.reply("Hello there. Let me look.")
    assert turn.branch == "missed"
    assert turn.customer is not None and turn.customer.step_id == "opening_again"
    judgement = turn.judgement
    assert judgement is not None
    assert judgement.missed == ("confirm which order it is",)
    assert judgement.empathy is False
    assert "You did not confirm which order it is." in judgement.feedback


def test_a_second_miss_in_a_row_escalates_and_a_met_reply_resets_the_count() -> None:
    session, _clock = _session()
    session.start()
    session.reply("Hello.")  # missed once
    turn = session.reply("Sorry about that! Your order number, please?")  # met: count resets
    assert turn.branch == "met" and session.step is not None and session.step.id == "gives_number"
    turn = session.reply("It's somewhere.")  # a first miss again: the customer asks again
    assert turn.branch == "missed" and turn.customer is not None
    assert turn.customer.step_id == "confused"
    turn = session.reply("Still looking.")  # second miss in a row
    assert turn.branch == "escalate"
    assert turn.customer is not None and turn.customer.text.startswith("This is ridiculous")
    assert session.finished and session.outcome == "escalated"
    with pytest.raises(ReplyError, match="session is over"):
        session.reply("Hello?")


def test_bad_replies_are_refused_without_moving_on() -> None:
    session, _clock = _session()
    with pytest.raises(ReplyError):
        session.reply("Hi")  # not started
    session.start()
    with pytest.raises(ReplyError, match="Write a reply"):
        session.reply("   \n ")
    with pytest.raises(ReplyError, match="Unknown action: fly_to_the_moon"):
        session.reply("Hello", ["fly_to_the_moon"])
    assert session.step is not None and session.step.id == "opening"
    assert [line.speaker for line in session.lines] == ["customer"]
    assert session.first_reply_at is None  # a refused reply does not start the clock


def test_scores_follow_the_injected_clock_exactly() -> None:
    def play(first_wait: float, later_wait: float) -> TrainingSession:
        session, clock = _session()
        session.start()
        for n, (text, action) in enumerate(GOOD["where-is-my-order"]):
            clock.advance(first_wait if n == 0 else later_wait)
            session.reply(text, [action] if action else [])
        return session

    quick = play(30, 30).score_card()
    assert (quick.score, quick.first_response_seconds, quick.total_seconds) == (100, 30, 90)
    assert "Good: your first response came in 30 seconds, within the target of 1 minute." in (
        quick.feedback
    )
    assert play(120, 30).reply_seconds == [120, 30, 30]
    slow = play(120, 30).score_card()  # twice the 60 s target: half the speed marks
    assert speed_score(120, 60) == 50
    assert slow.score == round(0.8 * 100 + 0.1 * 50 + 0.1 * 100)
    assert "Your first response took 2 minutes; the target is 1 minute." in slow.feedback
    very_slow = play(200, 300).score_card()  # past 3x the target, and 800 s > 600 s in all
    assert speed_score(200, 60) == 0
    assert very_slow.score == round(0.8 * 100 + 0.1 * speed_score(800, 600)) == 88
    assert "The whole conversation took 13 min 20 s; aim for 10 minutes." in very_slow.feedback
    one, two = play(120, 30).record(), play(120, 30).record()
    assert one.pop("id") != two.pop("id")  # each session its own result on the server
    assert one == two  # otherwise deterministic, to the letter
    assert one["rubric"] == {
        "points": 100,
        "empathy": 100,
        "actions": 100,
        "manners": 100,
        "first_response": 50,
        "total_time": 100,
        "handling": 100,
    }


def test_feedback_names_what_was_done_and_missed() -> None:
    session, clock = _session()
    session.start()
    clock.advance(5)
    session.reply("Sorry for the wait! What's your order number?")
    turn = session.reply("It is held at the depot and will be redelivered tomorrow.")
    assert turn.branch == "missed"
    session.reply("I'll let you know. Bye!")  # never gives the tracking number: a second miss
    assert session.step is not None and session.step.id == "confused"
    assert session.reply("As I said: held at the depot; redelivery tomorrow.").branch == "met"
    session.reply("I'll let you know. Bye!")  # forgot to resolve
    card = session.score_card()
    assert session.outcome == "resolved"
    assert "Good: you remembered to confirm which order it is." in card.feedback
    assert "Good: you apologised or showed you understand how the customer feels." in card.feedback
    assert "You did not give the tracking number." in card.feedback
    assert "You did not resolve the conversation." in card.feedback
    # 2 of 2, 2 of 3, 2 of 3 (still no tracking), 2 of 2, 1 of 2 (no resolve)
    assert card.handling == round(100 * 9 / 12)
    assert 50 <= card.score < 85


def test_the_customer_hears_the_whole_conversation_not_only_the_last_reply() -> None:
    """The review's shift: a reply said where the parcel is and when it comes, but not the
    tracking number; the customer answered "Sorry, I don't follow. Where is it actually, and
    when do I get it?" and the score card then said a point was missed that the next reply
    covered. The customer now asks for just what is missing, and the card tells it straight."""
    session, clock = _session()
    session.start()
    clock.advance(5)
    session.reply("Sorry for the wait! What's your order number?")
    turn = session.reply("It is held at the depot and will be redelivered tomorrow.")
    assert turn.branch == "missed" and turn.customer is not None
    assert "don't follow" not in turn.customer.text
    asked = "Thanks. And is there a tracking number, so I can follow it myself?"
    assert turn.customer.text == asked
    assert turn.customer.step_id == "gives_number"  # still on the same question
    turn = session.reply("Of course: PN 7730 1184 22.")  # where and when were said before
    assert turn.branch == "met" and turn.customer is not None
    assert turn.customer.step_id == "thanks"
    session.reply("You're welcome! I'll keep you updated if anything changes.", ["resolve"])
    card = session.score_card()
    assert session.outcome == "resolved"
    assert "You did not give the tracking number." not in card.feedback
    assert "Good: you remembered to give the tracking number." not in card.feedback
    assert (
        "Later you remembered to give the tracking number, after the customer had to ask."
        in card.feedback
    )
    assert "Good: you remembered to say where the parcel is." in card.feedback
    # 2 of 2, 2 of 3, 3 of 3, 2 of 2: the first try at the parcel still costs its point
    assert card.handling == round(100 * 9 / 10)


def test_a_point_made_before_the_customer_asks_for_it_counts() -> None:
    session, _clock = _session()
    session.start()
    session.reply(
        "Sorry about the wait! What's your order number? If it's the lamp, it is held at the "
        "depot and will be redelivered tomorrow; tracking PN 7730 1184 22."
    )
    turn = session.reply("Thank you.")  # everything the customer asks next was said already
    assert turn.branch == "met" and turn.customer is not None
    assert turn.customer.step_id == "thanks"


def test_without_its_own_words_the_customer_asks_for_the_point_plainly(tmp_path: Path) -> None:
    data = json.loads((default_dir() / "where-is-my-order.json").read_text(encoding="utf-8"))
    for step in data["steps"]:
        for point in step.get("expect", {}).get("cover", []):
            point.pop("ask", None)
    path = tmp_path / "where-is-my-order.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    session = TrainingSession(load_scenario(path), StepClock())
    session.start()
    session.reply("Sorry for the wait! What's your order number?")
    turn = session.reply("It is held at the depot and will be redelivered tomorrow.")
    assert turn.customer is not None
    assert turn.customer.text == "Could you also give the tracking number?"


def test_forbidden_words_and_actions_cost_points() -> None:
    session, _clock = _session("return-outside-window")
    session.start()
    session.reply("What's your order number?")
    turn = session.reply(
        "Sorry, our 30 day return window has passed, so I can offer store credit. "
        "You should have read the policy.",
        ["offer_refund"],
    )
    judgement = turn.judgement
    assert judgement is not None and not judgement.met
    assert judgement.said_forbidden == ("you should have", "offer_refund")
    assert judgement.score == round(100 * (3 - 2) / 3)
    assert "You offered a refund, which this situation does not allow." in judgement.feedback
    assert any(
        f.startswith("Avoid “you should have”: explain the policy") for f in judgement.feedback
    )


def test_hints_are_counted_once_per_line_and_cost_points() -> None:
    session, _clock = _session()
    session.start()
    assert session.hint().startswith("Apologise for the wait")
    session.hint()  # the same line: not counted twice
    assert session.hints_used == 1
    for text, action in GOOD["where-is-my-order"]:
        session.reply(text, [action] if action else [])
    card = session.score_card()
    assert card.score == 95
    assert "You used 1 hint (5 points)." in card.feedback


def test_ending_early_caps_the_score() -> None:
    session, clock = _session()
    session.start()
    text, _action = GOOD["where-is-my-order"][0]
    session.reply(text)
    clock.advance(20)
    session.end()
    card = session.score_card()
    assert session.outcome == "ended_early" and card.score <= 30
    assert "You ended the session before the customer's problem was settled." in card.feedback


def test_the_score_card_needs_a_finished_session() -> None:
    session, _clock = _session()
    session.start()
    with pytest.raises(ReplyError, match="not finished"):
        session.score_card()


def test_durations_read_naturally() -> None:
    assert duration_text(1) == "1 second"
    assert duration_text(59.6) == "1 minute"
    assert duration_text(3600) == "1 hour"
    assert duration_text(95) == "1 min 35 s"


def test_history_keeps_results_and_survives_a_damaged_line(tmp_path: Path) -> None:
    history = History(tmp_path / "data" / "training-results.jsonl")
    assert history.entries() == ([], 0)
    for scenario_id in ("where-is-my-order", "double-charged"):
        session, _clock = _session(scenario_id)
        session.start()
        for text, action in GOOD[scenario_id]:
            session.reply(text, [action] if action else [])
        history.append(session.record())
    with open(history.path, "a", encoding="utf-8") as out:
        out.write('{"scenario": "half a line\n')
    entries, skipped = history.entries()
    assert skipped == 1
    assert [e.scenario for e in entries] == ["double-charged", "where-is-my-order"]  # newest first
    assert entries[0].score == 100 and entries[0].grade == "Excellent"
    first = json.loads(history.path.read_text(encoding="utf-8").splitlines()[0])
    assert first["transcript"][0] == {
        "speaker": "customer",
        "text": first["transcript"][0]["text"],
        "at": "2026-11-22T10:02:00+00:00",
        "step": "opening",
        "actions": [],
    }
    assert first["transcript"][-1]["actions"] == ["resolve"]
    assert [r["step"] for r in first["replies"]] == ["opening", "gives_number", "thanks"]
    assert all(r["score"] == 100 and r["seconds"] == 0 for r in first["replies"])


def test_a_result_saved_after_a_crash_cut_the_last_line_is_kept(tmp_path: Path) -> None:
    """A crash mid-write leaves a line without its newline; the next result must not be glued
    onto it (it would be unreadable too, so the trainee would lose a session they finished)."""
    history = History(tmp_path / "training-results.jsonl")
    history.path.write_text('{"scenario": "cut off by a cra', encoding="utf-8")
    session, _clock = _session("where-is-my-order")
    session.start()
    for text, action in GOOD["where-is-my-order"]:
        session.reply(text, [action] if action else [])
    history.append(session.record())
    entries, skipped = history.entries()
    assert skipped == 1
    assert [e.scenario for e in entries] == ["where-is-my-order"]


def test_naming_the_order_on_the_card_is_as_good_as_asking_for_it() -> None:
    """The customer card shows the order: a first reply that names it and says where the
    parcel is was scored a miss for not asking for the number (outside review)."""
    session, clock = _session()
    session.start()
    clock.advance(10)
    turn = session.reply(
        "I'm so sorry for the wait! I can see your order SO-10482: the parcel is held at the "
        "ParcelNet depot and redelivery is booked for tomorrow."
    )
    assert turn.branch == "met" and turn.judgement is not None
    assert turn.judgement.missed == ()
    assert turn.customer is not None and turn.customer.step_id == "gives_number"
