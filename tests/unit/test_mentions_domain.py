"""The mention rules the desk and the server share (docs/mentions.md)."""

from __future__ import annotations

from csdesk.domain import mentions as rules


def test_the_at_being_typed_is_found_and_an_address_is_not() -> None:
    assert rules.query_at("Please @al", 10) == (7, "al")
    assert rules.query_at("@", 1) == (0, "")
    assert rules.query_at("(@Pri", 5) == (1, "Pri")
    assert rules.query_at("write to ann@example.com", 24) is None  # inside a word
    assert rules.query_at("@Alex Morgan ", 13) is None  # chosen: a trailing space ends it
    assert rules.query_at("@al\nnext", 8) is None
    assert rules.query_at("no at sign", 10) is None


def test_only_chosen_names_still_in_the_text_are_kept() -> None:
    alex, priya = rules.Pick("u1", "Alex Morgan"), rules.Pick("u2", "Priya Shah")
    text = "Hi @Alex Morgan and @Priya Shah"
    assert rules.kept(text, [alex, priya, alex]) == ["u1", "u2"]
    assert rules.kept("Hi @Priya Shah", [alex, priya]) == ["u2"]  # Alex's name deleted
    assert rules.kept("Hi @Alex Morgan", []) == []  # typed by hand: nobody
    many = [rules.Pick(f"u{n}", f"N{n}") for n in range(30)]
    assert len(rules.kept(" ".join(p.token for p in many), many)) == rules.MAX_MENTIONS


def test_matching_and_the_excerpt() -> None:
    names = [("1", "Mateo Ruiz"), ("2", "Alex Morgan"), ("3", "Sam Okafor"), ("4", "Amal Ruiz")]
    assert rules.matches("ru", names) == [("4", "Amal Ruiz"), ("1", "Mateo Ruiz")]
    assert rules.matches("A", names)[0] == ("2", "Alex Morgan")
    assert [n for _, n in rules.matches("", names)] == sorted(n for _, n in names)
    assert rules.excerpt("\n  first   line \nsecond") == "first line"
    assert len(rules.excerpt("x" * 500)) == rules.MAX_EXCERPT
    assert rules.mention_id("m", "u") == rules.mention_id("m", "u") != rules.mention_id("m", "v")


def test_a_name_counts_only_as_a_whole_token() -> None:
    sam, sam_lee = rules.Pick("sam", "Sam"), rules.Pick("samlee", "Sam Lee")
    assert rules.kept("please look @Sam Lee ", [sam, sam_lee]) == ["samlee"]
    assert rules.kept("please look @Sam Lee ", [sam_lee, sam]) == ["samlee"]
    assert rules.kept("@Sam and @Sam Lee", [sam, sam_lee]) == ["sam", "samlee"]
    assert rules.kept("@Samuel, @Sam_x, @Sam-Lee", [sam]) == []  # a longer word
    assert rules.kept("ask @Sam.", [sam]) == ["sam"]
    assert rules.kept("ask (@Sam)", [sam]) == ["sam"]
    assert rules.kept("mail bob@Sam now", [sam]) == []  # inside a word
    assert rules.kept("@Sam Lee", [sam]) == ["sam"]  # only Sam was chosen: "Lee" is text
    assert rules.present("@Sam Lee", [sam, sam_lee]) == [sam_lee]
    assert rules.present("no names here", [sam, sam_lee]) == []
