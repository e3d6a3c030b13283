"""The sign-in token in the system keyring: round trip, normalised names, and clean failures."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import KeyringLocked, NoKeyringError, PasswordSetError

from csdesk.credentials import (
    SERVICE,
    CredentialStoreError,
    account_name,
    delete_token,
    install_hint,
    load_token,
    store_token,
)
from tests.helpers.keyrings import MemoryKeyring

URL = "https://desk.example.com"


class FailingKeyring(KeyringBackend):
    """Raises whatever it was given, from every call, like a broken or locked store."""

    priority = 1

    def __init__(self, error: Exception) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory(restore_keyring: None) -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def test_round_trip(memory: MemoryKeyring) -> None:
    assert load_token(URL, "ann") is None
    store_token(URL, "ann", "tok-1")
    assert load_token(URL, "ann") == "tok-1"
    assert memory.entries == {(SERVICE, "ann@https://desk.example.com"): "tok-1"}
    store_token(URL, "ann", "tok-2")  # a new sign-in replaces the old token
    assert load_token(URL, "ann") == "tok-2"
    delete_token(URL, "ann")
    assert load_token(URL, "ann") is None
    assert memory.entries == {}


def test_deleting_a_missing_token_is_fine(memory: MemoryKeyring) -> None:
    delete_token(URL, "nobody")
    assert memory.entries == {}


def test_users_and_servers_are_kept_apart(memory: MemoryKeyring) -> None:
    store_token(URL, "ann", "a")
    store_token(URL, "bob", "b")
    store_token("https://other.example.com", "ann", "c")
    assert load_token(URL, "ann") == "a"
    assert load_token(URL, "bob") == "b"
    assert load_token("https://other.example.com", "ann") == "c"


@pytest.mark.parametrize(
    "spelling",
    ["https://desk.example.com/", "HTTPS://Desk.Example.com", " https://desk.example.com// "],
)
def test_one_server_however_it_is_spelt(memory: MemoryKeyring, spelling: str) -> None:
    store_token(URL, "ann", "tok")
    assert load_token(spelling, "ann") == "tok"
    assert account_name(spelling, "ann") == "ann@https://desk.example.com"


def test_path_is_part_of_the_server(memory: MemoryKeyring) -> None:
    assert account_name("https://x.example/desk/", "ann") == "ann@https://x.example/desk"
    assert account_name("https://x.example/desk", "ann") != account_name("https://x.example", "ann")


@pytest.mark.parametrize(
    ("url", "user"), [("desk.example.com", "ann"), ("", "ann"), (URL, ""), (URL, "  ")]
)
def test_bad_names_are_refused(memory: MemoryKeyring, url: str, user: str) -> None:
    with pytest.raises(ValueError):
        store_token(url, user, "tok")
    assert memory.entries == {}


def test_empty_token_is_refused(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="empty token"):
        store_token(URL, "ann", "")


def test_explicit_backend_argument(restore_keyring: None) -> None:
    keyring.set_keyring(FailingKeyring(NoKeyringError("global one must not be used")))
    backend = MemoryKeyring()
    store_token(URL, "ann", "tok", backend=backend)
    assert load_token(URL, "ann", backend=backend) == "tok"
    delete_token(URL, "ann", backend=backend)
    assert backend.entries == {}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (NoKeyringError("No recommended backend"), "no system keyring is available"),
        (KeyringLocked("Failed to unlock the collection"), "the system keyring is locked"),
        (PasswordSetError("denied"), "PasswordSetError: denied"),
        (RuntimeError("D-Bus went away"), "RuntimeError: D-Bus went away"),
    ],
)
def test_keyring_errors_become_credential_store_errors(
    restore_keyring: None, error: Exception, reason: str
) -> None:
    keyring.set_keyring(FailingKeyring(error))
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: store_token(URL, "ann", "tok"), "save"),
        (lambda: load_token(URL, "ann"), "read"),
        (lambda: delete_token(URL, "ann"), "delete"),
    ]
    for call, verb in calls:
        with pytest.raises(CredentialStoreError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith(f"Could not {verb} the sign-in token: ")
        assert reason in message
        assert caught.value.__cause__ is error


def test_keyrings_own_fail_backend(restore_keyring: None) -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(CredentialStoreError, match="no system keyring is available"):
        store_token(URL, "ann", "tok")
    with pytest.raises(CredentialStoreError):
        load_token(URL, "ann")


def test_a_keyring_that_drops_writes_is_caught(restore_keyring: None) -> None:
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(CredentialStoreError, match="did not keep it"):
        store_token(URL, "ann", "tok")


def test_never_falls_back_to_a_file(
    restore_keyring: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "CSDESK_CONFIG_DIR"):
        monkeypatch.setenv(variable, str(tmp_path))
    monkeypatch.chdir(tmp_path)
    keyring.set_keyring(FailingKeyring(NoKeyringError("none")))
    with pytest.raises(CredentialStoreError):
        store_token(URL, "ann", "tok-secret")
    assert list(tmp_path.iterdir()) == []


def test_without_a_keyring_the_message_says_what_to_install(restore_keyring: None) -> None:
    """Issue 9 item 39: on Linux without a Secret Service, keyring's fail backend is what runs;
    the message must name what to install, not only that the token cannot be kept."""
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(CredentialStoreError) as caught:
        store_token(URL, "ann", "tok")
    message = str(caught.value)
    if sys.platform.startswith("linux"):
        for name in ("gnome-keyring", "KeePassXC", "Secret Service", "KWallet"):
            assert name in message
    assert install_hint("win32") is None and install_hint("darwin") is None
    assert "gnome-keyring" in (install_hint("linux") or "")
