"""A thin raw-HTTP client for server tests: status codes and bodies as the wire has them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters

from tests.helpers.server import ServerProcess, TestUser


@dataclass
class Raw:
    base: str
    token: str | None = None

    @classmethod
    def signed_in(cls, server: ServerProcess, user: TestUser) -> Raw:
        return cls(server.url, server.login(user))

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> requests.Response:
        return requests.request(
            method,
            self.base + path,
            headers={**self._headers(), **(headers or {})},
            timeout=40,
            **kw,
        )

    def push(self, *mutations: tuple[str, dict[str, Any]] | dict[str, Any]) -> list[Any]:
        body = []
        for mut in mutations:
            if isinstance(mut, dict):
                body.append(mut)
            else:
                body.append({"id": str(uuid.uuid4()), "type": mut[0], "args": mut[1]})
        r = self.post("/api/v1/push", json={"mutations": body})
        assert r.status_code == 200, r.text
        results: list[Any] = r.json()["results"]
        return results

    def pull_all(self, after: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Every change after ``after``, following ``more``; returns (changes, cursor)."""
        changes: list[dict[str, Any]] = []
        while True:
            page = self.get("/api/v1/changes", params={"after": after, "limit": 1000}).json()
            changes += page["changes"]
            after = page["cursor"]
            if not page["more"]:
                return changes, after

    def latest(
        self, entity: str, ids: set[str], after: int = 0, timeout: float = 30.0
    ) -> dict[str, dict[str, Any]]:
        """The latest fed data of each of ``ids`` (of ``entity``), pulling until all came.

        One ``pull_all`` can miss a row: a change listed in a page and superseded before its
        row is read (a queued reply the delivery worker marks sent) is left out of that page
        and comes, under its new seq, with a later one."""
        fed: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while True:
            changes, after = self.pull_all(after)
            fed.update({c["id"]: c["data"] for c in changes if c["entity"] == entity})
            if ids <= fed.keys() or time.monotonic() > deadline:
                return fed
            self.get("/api/v1/changes", params={"after": after, "limit": 1, "wait": 2})

    def head(self) -> int:
        return int(self.get("/api/v1/changes", params={"after": 0, "limit": 1}).json()["head"])


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, source: str) -> None:
        self._source = (source, 0)
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = self._source
        super().init_poolmanager(*args, **kwargs)


def from_address(source: str) -> requests.Session:
    """A session whose connections leave from ``source`` (127.0.0.2, 127.0.0.3, … are distinct
    clients on Linux loopback), so a test can be several client addresses at once."""
    session = requests.Session()
    adapter = _SourceAddressAdapter(source)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
