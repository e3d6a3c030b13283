"""The rules of side conversations (docs/side-conversations.md): one bare address, no header
smuggled in; a subject is one bounded line; the reply token is found back in a subject."""

from __future__ import annotations

import pytest

from csdesk.domain import side_mail as rules


@pytest.mark.parametrize(
    "raw",
    [
        "a@b.example\r\nBcc: c@d.example",
        "a@b.example\n",
        "a\x00@b.example",
        "a@b.example, c@d.example",
        "a@b.example;c@d.example",
        "Name <a@b.example>",
        '"a b"@b.example',
        "a@localhost",
        "a@-b.example",
        "@b.example",
        "a@",
        "",
        "x" * 65 + "@b.example",
        "a@" + "b" * 300 + ".example",
    ],
)
def test_anything_but_one_bare_address_is_refused(raw: str) -> None:
    with pytest.raises(rules.AddressProblem):
        rules.check_address(raw)


def test_an_address_is_trimmed_and_its_domain_lower_cased() -> None:
    assert rules.check_address("  Orders@Supplier.EXAMPLE ") == "Orders@supplier.example"
    assert rules.check_address("a.b+c@bücher.example") == "a.b+c@xn--bcher-kva.example"


def test_a_subject_is_one_bounded_line_and_carries_the_token() -> None:
    assert rules.clean_subject("Fwd: a\r\nBcc: x@y.example") == "Fwd: a Bcc: x@y.example"
    assert len(rules.clean_subject("s" * 10_000)) == rules.MAX_SUBJECT
    token = rules.token_for("5de0c0de-0000-4000-8000-000000000001")
    assert token == "S5DE0C0DE0000"
    subject = rules.subject_with_token("Fwd: kettle [#S000000000000]", token)
    assert subject == f"Fwd: kettle [#{token}]"
    assert rules.token_in(f"RE: AW: {subject}") == token
    assert rules.token_in(f"re: fwd: kettle [#{token.lower()}]") == token
    assert rules.token_in("Order [#ABCDEF123456]") is None  # a customer's token is not ours
    assert rules.bounded("x" * 100, 60).endswith("[… the rest was left out]")
