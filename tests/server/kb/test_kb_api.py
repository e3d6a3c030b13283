"""The knowledge base over a live server on SQLite and PostgreSQL: supervisors and admins
create, edit and delete articles through push (agents and trainees refused); articles and
variants reach every desk through the change feed; the search ranks, puts the asked language
first, finds only the new text after an edit, and never answers 5xx to bad input."""

from __future__ import annotations

import uuid
from typing import Any

from csdesk.domain import kb
from csdesk.protocol import Entity, MutationType
from tests.helpers.http import Raw, from_address
from tests.helpers.server import ServerProcess, TestUser


def _article(aid: str, variants: dict[str, tuple[str, str]], **kw: Any) -> dict[str, Any]:
    return {
        "article_id": aid,
        "public": kw.pop("public", True),
        "tags": kw.pop("tags", []),
        "variants": [{"lang": k, "title": t, "body": b} for k, (t, b) in variants.items()],
        **kw,
    }


def _search(client: Raw, q: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/kb/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def test_only_supervisors_and_admins_edit(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    aid = str(uuid.uuid4())
    body = _article(aid, {"en": ("Gift wrapping", "We wrap gifts for 3 EUR.")})
    for who in ("ann", "tia"):
        client = Raw.signed_in(live, shared_users[who])
        (res,) = client.push((MutationType.KB_ARTICLE_SAVE, body))
        assert res["status"] == "rejected" and res["reason"]["code"] == "forbidden"
        assert "supervisors" in res["reason"]["message"]
        (res,) = client.push((MutationType.KB_ARTICLE_DELETE, {"article_id": aid}))
        assert res["reason"]["code"] == "forbidden"
    sue = Raw.signed_in(live, shared_users["sue"])
    (res,) = sue.push((MutationType.KB_ARTICLE_SAVE, body))
    assert res["status"] == "applied", res
    # Every desk gets the article and its variant through the feed.
    changes, _ = Raw.signed_in(live, shared_users["ann"]).pull_all()
    arts = {c["id"]: c["data"] for c in changes if c["entity"] == Entity.KB_ARTICLE}
    variants = {c["id"]: c["data"] for c in changes if c["entity"] == Entity.KB_VARIANT}
    assert arts[aid]["slug"] == "gift-wrapping" and arts[aid]["public"] is True
    assert variants[kb.variant_id(aid, "en")]["title"] == "Gift wrapping"
    # Signed out: no search.
    assert Raw(live.url).get("/api/v1/kb/search", params={"q": "gift"}).status_code == 401


def test_search_ranks_and_puts_the_language_first(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    adm = Raw.signed_in(live, shared_users["adm"])
    title_hit, body_hit, other = (str(uuid.uuid4()) for _ in range(3))
    results = adm.push(
        (
            MutationType.KB_ARTICLE_SAVE,
            _article(
                body_hit,
                {"en": ("Opening hours", "Our warehouse also handles umbrella returns.")},
                public=False,
            ),
        ),
        (
            MutationType.KB_ARTICLE_SAVE,
            _article(
                title_hit,
                {
                    "en": ("Umbrella warranty", "Two years on every umbrella frame."),
                    "de": ("Regenschirm-Garantie", "Zwei Jahre auf jedes Gestell (umbrella)."),
                },
                tags=["umbrella"],
            ),
        ),
        (
            MutationType.KB_ARTICLE_SAVE,
            _article(other, {"en": ("Socks", "Nothing about rain here.")}),
        ),
    )
    assert [r["status"] for r in results] == ["applied"] * 3
    ann = Raw.signed_in(live, shared_users["ann"])
    found = _search(ann, "umbrella")
    assert [h["article_id"] for h in found] == [title_hit, body_hit]  # title beats body
    assert found[0]["lang"] == "en" and found[0]["url"].endswith("/kb/umbrella-warranty?lang=en")
    assert found[1]["public"] is False and found[1]["url"] is None  # agents see internal
    german = _search(ann, "umbrella", lang="de")
    assert german[0]["article_id"] == title_hit and german[0]["lang"] == "de"
    assert german[0]["title"] == "Regenschirm-Garantie"
    assert [h["article_id"] for h in _search(ann, "umbrella", public="true")] == [title_hit]
    assert _search(ann, "umbrella warranty")[0]["article_id"] == title_hit  # every word
    assert _search(ann, "umbrella zebra") == []


def test_edit_finds_only_the_new_text_and_delete_removes(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    sue = Raw.signed_in(live, shared_users["sue"])
    aid = str(uuid.uuid4())
    (res,) = sue.push(
        (
            MutationType.KB_ARTICLE_SAVE,
            _article(
                aid,
                {"en": ("Pallet delivery", "Bulky parcels come by pallet freight.")},
                slug="pallets",
            ),
        )
    )
    assert res["status"] == "applied", res
    assert [h["article_id"] for h in _search(sue, "freight")] == [aid]
    (res,) = sue.push(
        (
            MutationType.KB_ARTICLE_SAVE,
            _article(
                aid,
                {"fr": ("Livraison sur palette", "Les colis volumineux par transporteur.")},
                slug="pallets",
            ),
        )
    )
    assert res["status"] == "applied", res
    assert _search(sue, "freight") == []  # the English variant is gone with its text
    assert _search(sue, "Pallet delivery") == []
    assert [h["lang"] for h in _search(sue, "volumineux")] == ["fr"]
    (res,) = sue.push((MutationType.KB_ARTICLE_DELETE, {"article_id": aid}))
    assert res["status"] == "applied"
    assert _search(sue, "volumineux") == []
    assert Raw(live.url).get("/kb/pallets").status_code == 404
    (res,) = sue.push(
        (MutationType.KB_ARTICLE_SAVE, _article(aid, {"en": ("Again", "x")}, slug="pallets"))
    )
    assert res["reason"]["code"] == "deleted"


def test_bad_input_is_refused_clearly_never_a_5xx(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    for q in ("\x00", "a\x00b", '"', "*", "NEAR(", "AND OR NOT", ""):
        r = ann.get("/api/v1/kb/search", params={"q": q, "lang": "de"})
        # The edge refuses NUL and lone surrogates clearly (422); the rest is searched.
        assert r.status_code in (200, 422), (q, r.text)
        assert r.status_code == 200 or r.json()["error"]["code"] == "invalid_request"
    r = ann.get("/api/v1/kb/search", params={"q": "x" * (kb.MAX_QUERY + 1)})
    assert r.status_code == 422
    for q in ("umbrella\x01", "\u202eumbrella", "\x7f"):  # other controls are dropped
        assert ann.get("/api/v1/kb/search", params={"q": q}).status_code == 200
    r = ann.get("/api/v1/kb/search?q=%ED%A0%80%00&lang=%00")  # a lone surrogate and NUL, raw
    assert r.status_code in (200, 422), r.text
    for path in ("/kb/%00", "/kb/%ED%A0%80", "/kb/" + "a" * 500, "/kb?q=%00%ED%A0%80&lang=%00"):
        assert Raw(live.url).get(path).status_code in (200, 404, 422), path
    sue = Raw.signed_in(live, shared_users["sue"])
    for text in ("Nul\x00", "lone \ud800"):  # the edge refuses what no database stores
        args = _article(str(uuid.uuid4()), {"en": (text, "x")})
        r = sue.post(
            "/api/v1/push",
            json={"mutations": [{"id": "m1", "type": MutationType.KB_ARTICLE_SAVE, "args": args}]},
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    bad = [
        _article(str(uuid.uuid4()), {"en": ("Ok", "body\x01")}),
        _article(str(uuid.uuid4()), {"xx-!!": ("Ok", "x")}),
        _article(str(uuid.uuid4()), {"en": ("Ok", "x" * (kb.MAX_BODY + 1))}),
        _article(str(uuid.uuid4()), {"en": ("Ok", "x")}, slug="Not a slug"),
        {"article_id": str(uuid.uuid4()), "variants": []},
    ]
    for args in bad:
        (res,) = sue.push((MutationType.KB_ARTICLE_SAVE, args))
        assert res["status"] == "rejected" and res["reason"]["code"] == "invalid", res
    first = str(uuid.uuid4())
    (res,) = sue.push(
        (MutationType.KB_ARTICLE_SAVE, _article(first, {"en": ("A", "x")}, slug="same"))
    )
    assert res["status"] == "applied"
    (res,) = sue.push(
        (MutationType.KB_ARTICLE_SAVE, _article(str(uuid.uuid4()), {"en": ("B", "x")}, slug="same"))
    )
    assert res["reason"]["code"] == "conflict"


def test_internal_articles_never_crowd_a_public_one_out_of_the_public_search(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    """The search keeps the best 200 variants before grouping; the public filter was applied
    after that cut, so 200 better-matching internal articles hid every public one from the
    public pages' search (and from an agent's "public only")."""
    adm = Raw.signed_in(live, shared_users["adm"])
    word = f"parasol{uuid.uuid4().hex[:8]}"
    internal = [
        (
            MutationType.KB_ARTICLE_SAVE,
            _article(
                str(uuid.uuid4()),
                {"en": (f"{word} {word} note {n}", f"{word} {word} {word} internal.")},
                public=False,
            ),
        )
        for n in range(205)
    ]
    for start in range(0, len(internal), 100):
        results = adm.push(*internal[start : start + 100])
        assert {r["status"] for r in results} == {"applied"}
    public = str(uuid.uuid4())
    (res,) = adm.push(
        (MutationType.KB_ARTICLE_SAVE, _article(public, {"en": ("Sun care", f"Also a {word}.")}))
    )
    assert res["status"] == "applied", res
    ann = Raw.signed_in(live, shared_users["ann"])
    assert [h["article_id"] for h in _search(ann, word, public="true")] == [public]
    assert public not in [h["article_id"] for h in _search(ann, word)]  # 20 internal first


def test_public_pages_are_cached_until_an_edit_and_revalidate_with_304(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    sue = Raw.signed_in(live, shared_users["sue"])
    aid = str(uuid.uuid4())
    slug = f"cached-{aid[:8]}"
    body = _article(aid, {"en": ("Cached answer", "First text.")}, slug=slug)
    assert sue.push((MutationType.KB_ARTICLE_SAVE, body))[0]["status"] == "applied"
    visitor = Raw(live.url)
    first = visitor.get(f"/kb/{slug}")
    assert first.status_code == 200 and "First text." in first.text
    etag = first.headers["ETag"]
    again = visitor.get(f"/kb/{slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.content
    # An edit (of any article) is seen at once: the page is built again.
    body["variants"][0]["body"] = "Second text."
    assert sue.push((MutationType.KB_ARTICLE_SAVE, body))[0]["status"] == "applied"
    edited = visitor.get(f"/kb/{slug}", headers={"If-None-Match": etag})
    assert edited.status_code == 200 and "Second text." in edited.text
    assert edited.headers["ETag"] != etag
    listing = visitor.get("/kb", params={"q": "Second"})
    assert slug in listing.text
    # Made internal: the cached public page is gone too.
    body["public"] = False
    assert sue.push((MutationType.KB_ARTICLE_SAVE, body))[0]["status"] == "applied"
    assert visitor.get(f"/kb/{slug}").status_code == 404


def test_public_pages_are_rate_limited_per_address(live: ServerProcess) -> None:
    """Searches run full-text queries: 30 a minute per address, then 429 with Retry-After,
    while another address (another visitor) is served."""
    from csdesk.server.kb.page_cache import SEARCH_RATE

    flood = from_address("127.0.0.23")
    codes = [
        flood.get(f"{live.url}/kb", params={"q": f"word{n}"}, timeout=20).status_code
        for n in range(SEARCH_RATE + 1)
    ]
    assert codes[:SEARCH_RATE] == [200] * SEARCH_RATE and codes[-1] == 429, codes
    refused = flood.get(f"{live.url}/kb", params={"q": "more"}, timeout=20)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many requests" in refused.text and refused.headers["Content-Security-Policy"]
    other = from_address("127.0.0.24").get(f"{live.url}/kb", params={"q": "word"}, timeout=20)
    assert other.status_code == 200
