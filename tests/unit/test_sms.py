"""SMS part counting against GSM 03.38 / 3GPP TS 23.038 figures."""

from __future__ import annotations

import dataclasses

import pytest

from csdesk.domain.sms import GSM7_BASIC, GSM7_EXTENSION, SmsEncoding, count, is_gsm7


def test_alphabet_tables_have_the_standard_sizes() -> None:
    # 128 positions minus ESC, plus the small c-cedilla alias of 0x09.
    assert len(GSM7_BASIC) == 128
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert "\x1b" not in GSM7_BASIC


def test_empty_text_costs_nothing() -> None:
    result = count("")
    assert (result.encoding, result.units, result.segments, result.remaining) == (
        SmsEncoding.GSM7,
        0,
        0,
        160,
    )


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [
        (1, 1, 159),
        (160, 1, 0),
        (161, 2, 2 * 153 - 161),
        (306, 2, 0),
        (307, 3, 3 * 153 - 307),
        (459, 3, 0),
    ],
)
def test_gsm7_limits(length: int, segments: int, remaining: int) -> None:
    result = count("a" * length)
    assert result.encoding is SmsEncoding.GSM7
    assert result.units == length
    assert result.segments == segments
    assert result.remaining == remaining
    assert result.ucs2_chars == ()


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(70, 1, 0), (71, 2, 2 * 67 - 71), (134, 2, 0), (135, 3, 3 * 67 - 135)],
)
def test_ucs2_limits(length: int, segments: int, remaining: int) -> None:
    result = count("ж" * length)
    assert result.encoding is SmsEncoding.UCS2
    assert (result.units, result.segments, result.remaining) == (length, segments, remaining)
    assert result.ucs2_chars == ("ж",)


def test_euro_sign_counts_two_septets() -> None:
    assert count("€").units == 2
    assert count("€" * 80).segments == 1
    assert count("€" * 80 + "a").segments == 2
    assert count("a" * 159 + "€").segments == 2


@pytest.mark.parametrize("char", list("\f^{}\\[~]|€"))
def test_every_extension_character_costs_two_and_stays_gsm7(char: str) -> None:
    result = count(char)
    assert result.encoding is SmsEncoding.GSM7
    assert result.units == 2


def test_all_basic_characters_cost_one() -> None:
    text = "".join(sorted(GSM7_BASIC))
    result = count(text)
    assert result.encoding is SmsEncoding.GSM7
    assert result.units == len(text)


def test_emoji_forces_ucs2_and_counts_two_code_units() -> None:
    result = count("Thanks 😀")
    assert result.encoding is SmsEncoding.UCS2
    assert result.units == len("Thanks ") + 2
    assert result.ucs2_chars == ("😀",)
    assert count("😀" * 35).segments == 1
    assert count("😀" * 35 + "a").segments == 2


def test_one_stray_character_switches_the_whole_message() -> None:
    result = count("a" * 100 + "’")  # a typographic apostrophe pasted from a word processor
    assert result.encoding is SmsEncoding.UCS2
    assert result.units == 101
    assert result.segments == 2
    assert result.ucs2_chars == ("’",)


def test_characters_forcing_ucs2_are_listed_once_in_order() -> None:
    assert count("“hi” ж “x”").ucs2_chars == ("“", "”", "ж")


def test_escape_pair_is_not_split_across_parts() -> None:
    # 152 basic septets then "€": the escape pair would straddle parts 1 and 2, so part 1 ends
    # one short. 152 + 2 + 152 = 306 septets would fit two parts by arithmetic alone.
    text = "a" * 152 + "€" + "a" * 152
    result = count(text)
    assert result.units == 306
    assert result.segments == 3
    assert result.remaining == 153 - 1


def test_surrogate_pair_is_not_split_across_parts() -> None:
    text = "ж" * 66 + "😀" + "ж" * 66  # 134 code units: two parts by arithmetic
    result = count(text)
    assert result.units == 134
    assert result.segments == 3


def test_newlines_are_gsm7() -> None:
    assert count("a\r\nb").units == 4
    assert is_gsm7("line one\nline two")


def test_is_gsm7() -> None:
    assert is_gsm7("Hello {name}, 5€ [ok] ~ |")
    assert is_gsm7("Grüße, Ça va")  # ü, ß and Ç are in the default alphabet
    assert not is_gsm7("crème brûlée")  # è is, but û and ê are not
    assert not is_gsm7("Привет")


def test_segment_size_property() -> None:
    assert count("a").segment_size == 160
    assert count("a" * 161).segment_size == 153
    assert count("ж").segment_size == 70
    assert count("ж" * 71).segment_size == 67


def test_result_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        count("a").units = 3  # type: ignore[misc]
