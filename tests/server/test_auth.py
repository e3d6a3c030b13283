"""Login, tokens, throttling and role checks against a live server."""

from __future__ import annotations

import requests

from csdesk.domain.enums import Role
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


def _login(server: ServerProcess, username: str, password: str) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": username, "password": password},
        timeout=10,
    )


def test_login_returns_opaque_token_and_me(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    r = _login(live, "ann", "ann-password")
    assert r.status_code == 200
    body = r.json()
    assert len(body["token"]) >= 40 and "." not in body["token"]  # opaque, not a JWT
    assert body["user"]["username"] == "ann" and body["user"]["role"] == "agent"
    me = Raw(live.url, body["token"]).get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["id"] == shared_users["ann"].id


def test_wrong_password_and_unknown_user_look_the_same(live: ServerProcess) -> None:
    wrong = _login(live, "bob", "not-bob")
    unknown = _login(live, "nobody-here", "whatever1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "wrong_credentials"


def test_missing_bad_and_revoked_tokens_are_401_with_json(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    assert Raw(live.url).get("/api/v1/changes").json()["error"]["code"] == "unauthorized"
    bad = Raw(live.url, "not-a-token").get("/api/v1/changes")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "token_invalid"

    sue = Raw.signed_in(live, shared_users["sue"])
    assert sue.post("/api/v1/auth/logout").status_code == 204
    after = sue.get("/api/v1/changes")
    assert after.status_code == 401 and "sign in again" in after.json()["error"]["message"]


def test_admin_revokes_every_token_of_a_user(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    bob1 = Raw.signed_in(live, shared_users["bob"])
    bob2 = Raw.signed_in(live, shared_users["bob"])
    admin = Raw.signed_in(live, shared_users["adm"])
    r = admin.post(f"/api/v1/admin/users/{shared_users['bob'].id}/revoke-tokens")
    assert r.status_code == 200 and r.json()["revoked"] >= 2
    assert bob1.get("/api/v1/changes").status_code == 401
    assert bob2.get("/api/v1/changes").status_code == 401
    assert admin.post("/api/v1/admin/users/no-such-user/revoke-tokens").status_code == 404


def test_only_admins_manage_users(live: ServerProcess, shared_users: dict[str, TestUser]) -> None:
    ann = Raw.signed_in(live, shared_users["ann"])
    r = ann.post(
        "/api/v1/admin/users", json={"username": "eve", "password": "eve-password", "role": "admin"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert ann.get("/api/v1/admin/users").status_code == 403
    sue = Raw.signed_in(live, shared_users["sue"])
    assert sue.get("/api/v1/admin/users").status_code == 200  # supervisors may list

    admin = Raw.signed_in(live, shared_users["adm"])
    made = admin.post(
        "/api/v1/admin/users", json={"username": "zoe", "password": "zoe-password", "role": "agent"}
    )
    assert made.status_code == 201
    assert _login(live, "zoe", "zoe-password").status_code == 200
    again = admin.post(
        "/api/v1/admin/users", json={"username": "zoe", "password": "zoe-password", "role": "agent"}
    )
    assert again.status_code == 409 and "already exists" in again.json()["error"]["message"]


def test_repeated_failures_are_throttled_then_expire(db_url: str, tmp_path: object) -> None:
    from pathlib import Path

    from tests.helpers.server import add_users

    user = TestUser("kim", "kim-password", Role.AGENT)
    add_users(db_url, [user])
    from csdesk.storage.db import make_engine

    server = ServerProcess(db_url, log_path=Path(str(tmp_path)) / "s.log").start()
    try:
        codes = [_login(server, "kim", f"wrong-{n}").status_code for n in range(5)]
        assert codes == [401] * 5
        blocked = _login(server, "kim", "kim-password")  # even the right password waits
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) > 0
        assert blocked.json()["error"]["details"]["retry_after"] > 0
        # The lock lives in the database (shared by server processes): lift it by time travel.
        engine = make_engine(db_url)
        with engine.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("UPDATE login_throttle SET locked_until = NULL"))
        engine.dispose()
        assert _login(server, "kim", "kim-password").status_code == 200
        # Success resets the count: one more failure is a plain 401, not a lock.
        assert _login(server, "kim", "wrong-again").status_code == 401
    finally:
        server.stop()
