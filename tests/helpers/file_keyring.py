"""A keyring kept in a JSON file named by ``$CSDESK_TEST_KEYRING_FILE``: for tests and benches
that run the desk as a child process (``PYTHON_KEYRING_BACKEND=
tests.helpers.file_keyring.FileKeyring``), so a saved token survives from one process to the
next without the real keyring. Never a runtime dependency; in-process tests use
:class:`tests.helpers.keyrings.MemoryKeyring`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENV = "CSDESK_TEST_KEYRING_FILE"


class FileKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    @property
    def path(self) -> Path:
        return Path(os.environ[ENV])

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _write(self, entries: dict[str, str]) -> None:
        self.path.write_text(json.dumps(entries), encoding="utf-8")

    @staticmethod
    def _key(service: str, username: str) -> str:
        return f"{service}\n{username}"

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._read()
        entries[self._key(service, username)] = password
        self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._read()
        if entries.pop(self._key(service, username), None) is None:
            raise PasswordDeleteError(f"no password for {username!r} in {service!r}")
        self._write(entries)
