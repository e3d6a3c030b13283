"""Provider secrets at rest: encrypted with Fernet before they reach the database.

A database dump or backup must not hand out the keys to the shop's WhatsApp number, so every
provider secret (auth tokens, app secrets, bot tokens) is stored only as a Fernet token.  The
key comes from, in order:

1. ``CSDESK_SECRET_KEY`` in the environment: one Fernet key, or several separated by commas
   (the first encrypts, all decrypt, so a key can be rotated without losing configured
   channels).  Use it whenever more than one machine runs ``csdesk-server`` on one database.
2. ``secret.key`` in the server's data directory, created with mode 0600 the first time a
   secret is stored.  Convenient for a single host; back it up apart from the database.

The key is loaded lazily: a server without configured channels never creates the file.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ENV_KEY: Final = "CSDESK_SECRET_KEY"
KEY_FILE: Final = "secret.key"


class VaultError(Exception):
    """The key is missing, malformed or not the one the secrets were encrypted with."""


def _parse_keys(text: str, where: str) -> MultiFernet:
    keys = [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]
    if not keys:
        raise VaultError(f"{where} holds no key")
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in keys])
    except (ValueError, UnicodeEncodeError):
        # Never echo the value: it is the key.
        raise VaultError(
            f"{where} is not a Fernet key (32 url-safe base64-encoded bytes); "
            'make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from None


def _create_key_file(path: Path) -> None:
    """Write a fresh key readable by the owner only; O_EXCL so two processes cannot race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as f:
        f.write(Fernet.generate_key() + b"\n")


class Vault:
    """Encrypts and decrypts JSON objects of secrets; thread-safe, loads the key on first use."""

    def __init__(self, data_dir: Path, environ: dict[str, str] | None = None) -> None:
        self._data_dir = data_dir
        self._environ = dict(os.environ) if environ is None else environ
        self._fernet: MultiFernet | None = None
        self._lock = threading.Lock()

    @property
    def key_source(self) -> str:
        """Where the key comes from, for the operator (never the key itself)."""
        if self._environ.get(ENV_KEY, "").strip():
            return f"environment variable {ENV_KEY}"
        return f"key file {self._data_dir / KEY_FILE}"

    def _load(self, *, create: bool) -> MultiFernet:
        with self._lock:
            if self._fernet is not None:
                return self._fernet
            env = self._environ.get(ENV_KEY, "").strip()
            if env:
                self._fernet = _parse_keys(env, f"environment variable {ENV_KEY}")
                return self._fernet
            path = self._data_dir / KEY_FILE
            if not path.exists():
                if not create:
                    raise VaultError(
                        f"no secret key: set {ENV_KEY} or restore {path} "
                        "(the key the channel secrets were stored with)"
                    )
                _create_key_file(path)
            if path.stat().st_mode & 0o077:
                raise VaultError(f"{path} is readable by other users; chmod 600 it")
            self._fernet = _parse_keys(path.read_text("ascii"), str(path))
            return self._fernet

    def encrypt(self, secrets: dict[str, str]) -> str:
        token = self._load(create=True).encrypt(json.dumps(secrets, sort_keys=True).encode())
        return token.decode("ascii")

    def decrypt(self, token: str) -> dict[str, str]:
        try:
            raw = self._load(create=False).decrypt(token.encode("ascii"))
        except InvalidToken:
            raise VaultError(
                f"channel secrets cannot be decrypted with the key from {self.key_source}; "
                "it is not the key they were stored with"
            ) from None
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise VaultError("decrypted channel secrets are not an object")
        return {str(k): str(v) for k, v in data.items()}
