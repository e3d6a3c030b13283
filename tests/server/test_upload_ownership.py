"""Uploaded files belong to their uploader and realm, count against a per-user quota, and the
ones no reply used are swept after a grace period."""

from __future__ import annotations

import hashlib
import os
import signal
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from csdesk.domain.enums import Realm, Role
from csdesk.server.attachments import records
from csdesk.server.attachments.sweep import sweep
from csdesk.server.config import ServerConfig
from csdesk.server.state import ServerState
from csdesk.storage import models as m
from csdesk.storage.migrate import upgrade
from csdesk.storage.types import utcnow
from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser, add_users
from tests.server.channels.support import wait_until

UPLOAD = "/api/v1/attachments"
FILE_SIZE = 20_000
QUOTA = 3 * FILE_SIZE + 100  # three unsent files fit, a fourth does not


def _file() -> bytes:
    return os.urandom(FILE_SIZE)


@pytest.fixture(scope="module")
def server(
    backend: str, shared_users: dict[str, TestUser], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, Path]]:
    add_users(backend, list(shared_users.values()))
    data_dir = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_UPLOAD_QUOTA_BYTES", str(QUOTA))
        proc = ServerProcess(
            backend,
            log_path=tmp_path_factory.mktemp("log") / "server.log",
            extra_args=["--data-dir", str(data_dir)],
        ).start()
    try:
        yield proc, data_dir
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def agents(server: tuple[ServerProcess, Path], shared_users: dict[str, TestUser]) -> dict[str, Raw]:
    return {name: Raw.signed_in(server[0], shared_users[name]) for name in ("ann", "bob", "tia")}


def _upload(agent: Raw, data: bytes, name: str = "invoice.pdf") -> Any:
    return agent.post(
        UPLOAD, params={"filename": name}, data=data, headers={"Content-Type": "application/pdf"}
    )


def _send(agent: Raw, conversation_id: str, refs: list[dict[str, Any]]) -> dict[str, Any]:
    message_id = str(uuid.uuid4())
    (result,) = agent.push(
        (
            "message.send",
            {
                "conversation_id": conversation_id,
                "message_id": message_id,
                "body_text": "Here it is.",
                "attachments": refs,
            },
        )
    )
    return {**result, "id": message_id}


# --- item 14: whose file it is ----------------------------------------------------------------


def test_a_trainee_cannot_attach_or_open_a_production_file_by_its_hash(
    backend: str, agents: dict[str, Raw]
) -> None:
    ann, tia = agents["ann"], agents["tia"]
    (prod,) = make_conversations(backend, 1)
    (train,) = make_conversations(backend, 1, realm=Realm.TRAINING)
    secret = _file()
    ref = _upload(ann, secret, "payroll.pdf").json()
    # Not sent yet: the hash alone names an upload of Ann's, in production.
    stolen = _send(tia, train.conversation_id, [ref])
    assert stolen["status"] == "rejected", stolen
    assert "not among your uploads" in stolen["reason"]["message"]
    # Sent on a production reply: still not the trainee's, and not readable from training.
    sent = _send(ann, prod.conversation_id, [ref])
    assert sent["status"] == "applied", sent
    stolen = _send(tia, train.conversation_id, [ref])
    assert stolen["status"] == "rejected", stolen
    r = tia.get(f"/api/v1/messages/{sent['id']}/attachments/0")
    assert r.status_code == 404 and secret not in r.content
    assert ann.get(f"/api/v1/messages/{sent['id']}/attachments/0").content == secret


def test_another_agent_cannot_attach_an_unsent_upload_but_can_pass_on_a_sent_file(
    backend: str, agents: dict[str, Raw]
) -> None:
    ann, bob = agents["ann"], agents["bob"]
    one, two = make_conversations(backend, 2)
    data = _file()
    ref = _upload(ann, data).json()
    taken = _send(bob, two.conversation_id, [ref])
    assert taken["status"] == "rejected" and "not among your uploads" in taken["reason"]["message"]
    assert _send(ann, one.conversation_id, [ref])["status"] == "applied"
    # Now a message Bob can read carries it: he may pass it on.
    passed = _send(bob, two.conversation_id, [ref])
    assert passed["status"] == "applied", passed
    assert bob.get(f"/api/v1/messages/{passed['id']}/attachments/0").content == data


def test_a_trainee_sends_her_own_upload_in_training_and_production_cannot_open_it(
    backend: str, agents: dict[str, Raw]
) -> None:
    ann, tia = agents["ann"], agents["tia"]
    (train,) = make_conversations(backend, 1, realm=Realm.TRAINING)
    data = _file()
    ref = _upload(tia, data, "practice.pdf").json()
    sent = _send(tia, train.conversation_id, [ref])
    assert sent["status"] == "applied", sent
    assert tia.get(f"/api/v1/messages/{sent['id']}/attachments/0").content == data
    assert ann.get(f"/api/v1/messages/{sent['id']}/attachments/0").status_code == 404


# --- item 15: the quota -----------------------------------------------------------------------


def test_over_the_quota_an_upload_is_refused_clearly_and_nothing_is_lost(
    backend: str, server: tuple[ServerProcess, Path], shared_users: dict[str, TestUser]
) -> None:
    # A user of this test alone, so other tests' uploads do not count.
    quinn = TestUser(f"quinn{uuid.uuid4().hex[:6]}", "quinn-password", Role.AGENT)
    add_users(backend, [quinn])
    agent = Raw.signed_in(server[0], quinn)
    (conv,) = make_conversations(backend, 1)
    files = [_file() for _ in range(4)]
    refs = [_upload(agent, f).json() for f in files[:3]]
    assert all("sha256" in r for r in refs), refs
    again = _upload(agent, files[0])  # the same file again costs nothing more
    assert again.status_code == 201, again.text

    over = _upload(agent, files[3], "fourth.pdf")
    assert over.status_code == 413, over.text
    error = over.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "upload allowance" in error["message"] and "not sent yet" in error["message"]
    assert error["details"]["quota_bytes"] == QUOTA
    assert error["details"]["used_bytes"] == 3 * FILE_SIZE
    store = server[1] / "attachments"
    sha = hashlib.sha256(files[3]).hexdigest()
    assert not (store / sha[:2] / sha).exists()  # the refused file was not kept

    # Nothing lost: the earlier uploads still go out, and sending them frees the allowance.
    sent = _send(agent, conv.conversation_id, refs)
    assert sent["status"] == "applied", sent
    for n, data in enumerate(files[:3]):
        assert agent.get(f"/api/v1/messages/{sent['id']}/attachments/{n}").content == data
    assert _upload(agent, files[3], "fourth.pdf").status_code == 201


# --- item 15: the sweep -----------------------------------------------------------------------


def _state(db_url: str, data_dir: Path) -> ServerState:
    state = ServerState.build(ServerConfig(db_url=db_url, listen_notify=False, data_dir=data_dir))
    upgrade(state.engine)
    return state


def _age(path: Path, state: ServerState, sha: str, by: timedelta) -> None:
    then = utcnow() - by
    with state.writes() as s:
        s.execute(update(m.Upload).where(m.Upload.sha256 == sha).values(created_at=then))
        s.commit()
    os.utime(path, (then.timestamp(), then.timestamp()))


def test_the_sweep_removes_old_unused_uploads_and_keeps_the_rest(
    db_url: str, tmp_path: Path
) -> None:
    ann = TestUser("ann", "ann-password", Role.AGENT)
    add_users(db_url, [ann])
    (conv,) = make_conversations(db_url, 1)
    state = _state(db_url, tmp_path / "data")
    grace = timedelta(hours=24)
    try:
        names = ("abandoned", "sent", "recent", "also_inbound", "used_elsewhere")
        shas = {}
        with state.writes() as s:
            for name in names:
                data = name.encode() + os.urandom(100)
                sha = hashlib.sha256(data).hexdigest()
                records.record(s, ann.id, Realm.PRODUCTION.value, sha, len(data), 10**9)
                state.attachments.put(data)
                shas[name] = sha
            s.commit()
        with state.writes() as s:
            # "sent": a reply used it (its record is claimed)
            assert records.use(s, ann.id, Realm.PRODUCTION.value, shas["sent"])
            # "also_inbound": an unused upload whose content a customer's email carries
            msg = s.get(m.Message, conv.message_id)
            assert msg is not None
            msg.attachments = [{"sha256": shas["also_inbound"], "filename": "a.pdf"}]
            s.commit()
        # "used_elsewhere": the same content, recorded for a trainee too (still in grace)
        tia = TestUser("tia", "tia-password", Role.TRAINEE)
        add_users(db_url, [tia])
        with state.writes() as s:
            records.record(s, tia.id, Realm.TRAINING.value, shas["used_elsewhere"], 10, 10**9)
            s.commit()
        old = timedelta(hours=30)
        for name in ("abandoned", "sent", "also_inbound"):
            path = state.attachments.path(shas[name])
            assert path is not None
            _age(path, state, shas[name], old)
        with state.writes() as s:  # only Ann's record of it is old
            s.execute(
                update(m.Upload)
                .where(m.Upload.sha256 == shas["used_elsewhere"], m.Upload.uploader_id == ann.id)
                .values(created_at=utcnow() - old)
            )
            s.commit()
        path = state.attachments.path(shas["used_elsewhere"])
        assert path is not None
        os.utime(path, (0, 0))

        done = sweep(state, grace)

        assert state.attachments.path(shas["abandoned"]) is None
        for kept in ("sent", "recent", "also_inbound", "used_elsewhere"):
            assert state.attachments.path(shas[kept]) is not None, kept
        assert (done.records, done.files) == (3, 1)  # abandoned, also_inbound, Ann's other
        with state.reads() as s:
            left = {(u.uploader_id, u.sha256) for u in s.query(m.Upload)}
        assert (ann.id, shas["sent"]) in left and (ann.id, shas["recent"]) in left
        assert (ann.id, shas["abandoned"]) not in left
        assert sweep(state, grace) == type(done)(0, 0)  # nothing more to do
    finally:
        state.engine.dispose()


def test_the_server_sweeps_by_itself(db_url: str, tmp_path: Path) -> None:
    ann = TestUser("ann", "ann-password", Role.AGENT)
    add_users(db_url, [ann])
    data_dir = tmp_path / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSDESK_UPLOAD_GRACE_SECONDS", "0")
        mp.setenv("CSDESK_UPLOAD_SWEEP_SECONDS", "1")
        proc = ServerProcess(
            db_url, log_path=tmp_path / "s.log", extra_args=["--data-dir", str(data_dir)]
        ).start()
    try:
        agent = Raw.signed_in(proc, ann)
        ref = _upload(agent, _file()).json()
        path = data_dir / "attachments" / ref["sha256"][:2] / ref["sha256"]
        wait_until(lambda: True if not path.exists() else None, 20, "the sweep")
        assert "Traceback" not in (tmp_path / "s.log").read_text()
    finally:
        proc.stop()


def test_the_sweeper_never_holds_up_stopping_the_server(db_url: str, tmp_path: Path) -> None:
    """With the default hour between sweeps, SIGTERM still ends the server cleanly (it is not
    left to be killed once ``ServerProcess.stop`` runs out of patience)."""
    proc = ServerProcess(
        db_url, log_path=tmp_path / "s.log", extra_args=["--data-dir", str(tmp_path / "data")]
    ).start()
    proc.stop()
    assert proc.proc is not None
    # uvicorn ends on SIGTERM by re-raising it after its shutdown; SIGKILL means it hung.
    assert proc.proc.returncode in (0, -signal.SIGTERM), proc.proc.returncode
