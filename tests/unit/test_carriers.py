"""Carriers' tracking links: the right page, the number escaped, nothing for the unknown."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from csdesk.domain.carriers import CARRIERS, carrier_of, tracking_url


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("DHL", "dhl"),
        ("DHL Express", "dhl"),
        ("ups", "ups"),
        ("UPS Ground", "ups"),
        ("FedEx", "fedex"),
        ("USPS", "usps"),
        ("DPD", "dpd"),
        ("GLS", "gls"),
        ("PostNL", "postnl"),
        ("Royal Mail", "royalmail"),
        ("La Poste", "colissimo"),
        ("Colissimo", "colissimo"),
        ("Correos", "correos"),
        ("Hermes", "evri"),
        ("Evri", "evri"),
        ("Canada Post", "canadapost"),
        ("Australia Post", "auspost"),
    ],
)
def test_carriers_are_found_by_the_names_stores_use(name: str, key: str) -> None:
    found = carrier_of(name)
    assert found is not None and found.key == key


def test_every_pattern_is_https_with_one_number() -> None:
    for c in CARRIERS:
        assert c.pattern.startswith("https://") and c.pattern.count("{number}") == 1, c


def test_the_number_is_escaped_into_the_link() -> None:
    assert tracking_url("DHL", "JD0146000012345") == (
        "https://www.dhl.com/global-en/home/tracking.html?tracking-id=JD0146000012345"
    )
    url = tracking_url("UPS", "1Z 99&x=/../evil.example#")
    assert url is not None
    parts = urlsplit(url)
    assert parts.hostname == "www.ups.com" and parts.path == "/track" and not parts.fragment
    assert "1Z%2099%26x%3D%2F..%2Fevil.example%23" in url


def test_no_link_for_what_is_not_known_or_not_safe() -> None:
    assert tracking_url("Bob's Van", "123") is None
    assert tracking_url("DHL", "") is None
    assert tracking_url("DHL", "9" * 65) is None
    assert carrier_of("") is None and carrier_of("!!") is None
    # A store's own https link wins; anything else from a store is not followed.
    assert tracking_url("DHL", "1", "https://track.example/1") == "https://track.example/1"
    assert tracking_url("DHL", "1", "javascript:alert(1)") is not None  # falls back to DHL
    assert tracking_url("Bob's Van", "1", "http://plain.example/1") is None


def test_every_carrier_of_the_demo_catalog_has_a_tracking_page() -> None:
    import json

    from csdesk.resources import resource_path

    catalog = json.loads(resource_path("demo/people.json").read_text(encoding="utf-8"))
    names: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            names.extend(c["name"] for c in node.get("carriers", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(catalog)
    assert names, "the demo catalog names carriers"
    assert [n for n in names if carrier_of(n) is None] == []
