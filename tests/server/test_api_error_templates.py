"""An API error sends its message's brace template and params beside the identical English
message (issue 13, docs/refusals.md), on SQLite and PostgreSQL; errors that are not
``ApiError`` (a request that fails validation) send none."""

from __future__ import annotations

from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


def test_an_api_error_carries_its_template_and_params(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    r = ann.get("/api/v1/entities/message/nope")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "not_found"
    assert err["template"] == "no {entity} with id {id}"
    assert err["params"] == {"entity": "message", "id": "'nope'"}
    assert err["message"] == "no message with id 'nope'" == err["template"].format(**err["params"])
    many = ",".join(f"id{n}" for n in range(101))
    r = ann.get("/api/v1/floor/messages", params={"ids": many})
    assert r.status_code == 422
    err = r.json()["error"]
    assert (err["template"], err["params"]) == ("at most {n} ids at once", {"n": 100})
    assert err["message"] == "at most 100 ids at once"


def test_a_literal_without_params_is_its_own_template(live: ServerProcess) -> None:
    r = Raw(live.url, "not-a-token").get("/api/v1/entities/message/x")
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["message"] == err["template"] == "invalid or revoked token; sign in again"
    assert err["params"] == {}


def test_a_validation_error_has_no_template(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    r = ann.post("/api/v1/push", json={"mutations": "not a list"})
    assert r.status_code == 422
    assert "template" not in r.json()["error"]
