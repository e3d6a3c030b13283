"""Which counter a failed login lands in (the keys of ``login_throttle``)."""

from __future__ import annotations

from csdesk.server.auth.throttle import address_key, user_key


def test_pairs_are_per_exact_address_and_case_blind_user_name() -> None:
    assert user_key(" Kim ", "127.0.0.2") == "u 127.0.0.2 kim"
    assert user_key("kim", "127.0.0.2") != user_key("kim", "127.0.0.3")
    long = user_key("İ" * 120, "2001:db8::1")
    assert len(long) <= 200 and long.startswith("u 2001:db8::1 #")


def test_an_ipv6_client_counts_by_its_64_and_a_mapped_ipv4_as_ipv4() -> None:
    a = address_key("2001:db8:1:2::1")
    assert a == address_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "a 2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != a
    assert address_key("::ffff:198.51.100.7") == address_key("198.51.100.7") == "a 198.51.100.7"
    assert address_key("unknown") == "a unknown"
