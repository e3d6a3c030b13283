"""Agents' files going out: the upload route, replies that refer to uploads, signed links."""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from csdesk.domain.attachment_limits import MAX_UPLOAD_BYTES
from csdesk.server.attachments import links
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64
UPLOAD = "/api/v1/attachments"


@pytest.fixture(scope="module")
def ann(live: ServerProcess, shared_users: dict[str, TestUser]) -> Raw:
    return Raw.signed_in(live, shared_users["ann"])


def _upload(agent: Raw, data: bytes, name: str = "invoice 7.pdf", **params: str) -> Any:
    return agent.post(
        UPLOAD,
        params={"filename": name, **params},
        data=data,
        headers={"Content-Type": "application/pdf"},
    )


def _conversation(agent: Raw) -> str:
    return _chat(agent)[0]


def _chat(agent: Raw) -> tuple[str, str]:
    """A chat conversation of a fresh visitor (the chat API needs no provider), and the
    visitor's session token."""
    base = agent.base
    token = requests.post(f"{base}/chat/api/session", json={}, timeout=10).json()["token"]
    sent = requests.post(
        f"{base}/chat/api/messages",
        json={"text": "Can you send the invoice?", "client_id": uuid.uuid4().hex},
        headers={"X-Chat-Token": token},
        timeout=10,
    )
    assert sent.status_code in (200, 201), sent.text
    changes, _ = agent.pull_all()
    msg = next(
        c["data"] for c in changes if c["entity"] == "message" and c["id"] == sent.json()["id"]
    )
    conv_id: str = msg["conversation_id"]
    return conv_id, token


def test_upload_answers_the_reference_a_reply_carries(ann: Raw) -> None:
    r = _upload(ann, PDF, "../../tmp/invoice 7.pdf", sha256=hashlib.sha256(PDF).hexdigest())
    assert r.status_code == 201, r.text
    assert r.json() == {
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "size": len(PDF),
        "content_type": "application/pdf",
        "filename": "invoice 7.pdf",  # no directories from the desk's side
    }
    again = _upload(ann, PDF)
    assert again.status_code == 201 and again.json()["sha256"] == r.json()["sha256"]


def test_a_name_that_turns_the_text_direction_is_not_kept(ann: Raw) -> None:
    """U+202E shows "invoice<RLO>fdp.exe" as "invoiceexe.pdf" to whoever sees the name."""
    for bidi in ("\u202e", "\u202d", "\u2067", "\u200f", "\x85", "\u2028"):
        r = _upload(ann, PDF, f"invoice{bidi}fdp.exe")
        assert r.status_code == 201, r.text
        assert r.json()["filename"] == "invoice_fdp.exe"


def test_upload_needs_a_signed_in_agent(live: ServerProcess) -> None:
    r = requests.post(live.url + UPLOAD, params={"filename": "a.pdf"}, data=PDF, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"]["code"] in ("not_authenticated", "invalid_token", "unauthorized")


@pytest.mark.parametrize(
    ("params", "data", "code"),
    [
        ({"filename": "empty.pdf"}, b"", "invalid_request"),
        ({}, PDF, "invalid_request"),
        ({"filename": "..."}, PDF, "invalid_request"),
        ({"filename": "a.pdf", "sha256": "0" * 64}, PDF, "checksum_mismatch"),
        ({"filename": "a.pdf", "sha256": "not-a-hash"}, PDF, "invalid_request"),
    ],
)
def test_bad_uploads_get_a_clear_json_error(
    ann: Raw, params: dict[str, str], data: bytes, code: str
) -> None:
    r = ann.post(UPLOAD, params=params, data=data)
    assert r.status_code == 400 or r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message"]


def test_an_upload_over_the_cap_is_refused_before_it_is_stored(ann: Raw) -> None:
    def body() -> Any:  # chunked: no Content-Length, so the server must count as it reads
        chunk = b"\0" * (1024 * 1024)
        for _ in range(MAX_UPLOAD_BYTES // len(chunk) + 2):
            yield chunk

    try:
        r = ann.post(UPLOAD, params={"filename": "big.bin"}, data=body())
    except requests.ConnectionError:
        pytest.fail("the server should answer 413, not drop the connection")
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"
    assert r.json()["error"]["details"]["max_bytes"] == MAX_UPLOAD_BYTES


def test_a_reply_with_an_uploaded_file_lists_and_opens_it(ann: Raw) -> None:
    conv_id = _conversation(ann)
    ref = _upload(ann, PDF).json()
    message_id = str(uuid.uuid4())
    (result,) = ann.push(
        (
            "message.send",
            {
                "conversation_id": conv_id,
                "message_id": message_id,
                "body_text": "Here it is.",
                "attachments": [ref],
            },
        )
    )
    assert result["status"] == "applied", result
    msg = ann.get(f"/api/v1/entities/message/{message_id}").json()["data"]
    (meta,) = msg["attachments"]
    assert meta["sha256"] == ref["sha256"] and meta["filename"] == "invoice 7.pdf"
    assert meta["size"] == len(PDF) and meta["content_type"] == "application/pdf"
    download = ann.get(f"/api/v1/messages/{message_id}/attachments/0")
    assert download.status_code == 200 and download.content == PDF


def test_a_reply_naming_a_file_the_server_lacks_is_rejected(ann: Raw) -> None:
    conv_id = _conversation(ann)
    missing = {"sha256": "ab" * 32, "filename": "ghost.pdf", "size": 10}
    (result,) = ann.push(
        (
            "message.send",
            {
                "conversation_id": conv_id,
                "message_id": str(uuid.uuid4()),
                "body_text": "Here it is.",
                "attachments": [missing],
            },
        )
    )
    assert result["status"] == "rejected"
    assert "ghost.pdf" in result["reason"]["message"]


def test_signed_links_serve_the_file_until_they_expire(tmp_path: Path) -> None:
    key = links.link_key(tmp_path, environ={})
    assert (tmp_path / links.LINK_KEY_FILE).stat().st_mode & 0o077 == 0
    target = links.LinkTarget("ab" * 32, "image/png", "photo.png", int(time.time()) + 60)
    token = links.sign(key, target)
    assert links.verify(key, token) == target
    assert links.verify(key, token, now=time.time() + 120) is None  # expired
    body, _, mac = token.partition(".")
    assert links.verify(key, body + "." + mac[::-1]) is None  # forged
    assert links.verify(b"another key", token) is None
    assert links.verify(key, "garbage") is None


def test_the_public_link_route_needs_a_valid_token(ann: Raw, live: ServerProcess) -> None:
    r = requests.get(f"{live.url}{links.PUBLIC_PREFIX}/abcdefghijkl.mnopqrstu/x.pdf", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_the_chat_visitor_sees_the_file_as_a_link_only_they_can_open(ann: Raw) -> None:
    conv_id, token = _chat(ann)
    ref = _upload(ann, PDF).json()
    message_id = str(uuid.uuid4())
    args = {"conversation_id": conv_id, "message_id": message_id, "body_text": "Invoice:"}
    (result,) = ann.push(("message.send", {**args, "attachments": [ref]}))
    assert result["status"] == "applied", result

    visitor = {"X-Chat-Token": token}
    shown = requests.get(f"{ann.base}/chat/api/messages", headers=visitor, timeout=10).json()
    reply = next(m for m in shown["messages"] if m["id"] == message_id)
    (link,) = reply["attachments"]
    assert link["name"] == "invoice 7.pdf" and link["size"] == len(PDF)
    got = requests.get(ann.base + link["url"], headers=visitor, timeout=10)
    assert got.status_code == 200 and got.content == PDF
    assert "invoice%207.pdf" in got.headers["content-disposition"]

    _, stranger = _chat(ann)
    other = requests.get(ann.base + link["url"], headers={"X-Chat-Token": stranger}, timeout=10)
    assert other.status_code == 404
    assert requests.get(ann.base + link["url"], timeout=10).status_code == 401


def test_an_empty_link_key_file_is_never_used_as_the_key(tmp_path: Path) -> None:
    """What another process sees while it creates ``link.key`` (or a crash leaves): an empty
    file. Its key would be SHA-256 of nothing, which anyone can compute and sign links with."""
    (tmp_path / links.LINK_KEY_FILE).write_bytes(b"")
    with pytest.raises(links.LinkKeyError, match=r"link\.key"):
        links.link_key(tmp_path, environ={})


def test_the_link_key_file_is_never_seen_half_written(tmp_path: Path) -> None:
    """Created complete under a temporary name, then linked into place: a second process
    either finds no file or the whole key, never an empty one."""
    seen: list[bytes] = []
    real_link = links.os.link

    def link(src: str | Path, dst: str | Path) -> None:
        seen.append(Path(src).read_bytes())  # what is published is already written
        real_link(src, dst)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(links.os, "link", link)
        key = links.link_key(tmp_path, environ={})
    assert len(seen) == 1 and seen[0].strip()
    assert hashlib.sha256(seen[0].strip()).digest() == key
    assert [p.name for p in tmp_path.iterdir()] == [links.LINK_KEY_FILE]
    assert (tmp_path / links.LINK_KEY_FILE).stat().st_mode & 0o077 == 0


def _memory(server: ServerProcess, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` (the peak) of the server process, in bytes."""
    assert server.proc is not None and server.proc.pid is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field}")


def _reset_peak(server: ServerProcess) -> int:
    """Start the peak over (earlier tests' peaks do not count); the memory in use now."""
    assert server.proc is not None and server.proc.pid is not None
    Path(f"/proc/{server.proc.pid}/clear_refs").write_text("5")
    return _memory(server, "VmRSS")


def test_parallel_big_uploads_are_not_held_in_memory(
    live: ServerProcess, shared_users: dict[str, TestUser]
) -> None:
    """Found by the outside review: each upload was collected in memory and then joined (twice
    its size), so any signed-in user (a trainee too) could take ~100 MB of server memory per
    parallel 50 MB upload. Files go to disk as they arrive."""
    import threading

    trainee = Raw.signed_in(live, shared_users["tia"])
    size = 40 * 1024 * 1024
    before = _reset_peak(live)
    codes: list[int] = []

    def send(n: int) -> None:
        def pieces() -> Any:
            block = bytes([n]) * (1024 * 1024)
            for _ in range(size // len(block)):
                yield block

        r = requests.post(
            live.url + UPLOAD,
            params={"filename": f"big-{n}.bin"},
            data=pieces(),
            headers={**trainee._headers(), "Content-Type": "application/octet-stream"},
            timeout=120,
        )
        codes.append(r.status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert codes == [201] * 4
    grown = _memory(live, "VmHWM") - before
    # Held whole, four uploads at once peak at several times 40 MB; streamed, a few MB.
    assert grown < 40 * 1024 * 1024, f"peak memory grew by {grown / 2**20:.0f} MB"
