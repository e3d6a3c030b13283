"""The sign-in token, kept in the operating system's keyring and nowhere else.

A token in a config file would be readable by anything that can read the user's home directory
and would end up in backups and support zips. So there is no fallback: if no keyring is usable
(a headless Linux without Secret Service, a locked keychain), the caller gets a
:class:`CredentialStoreError` with a sentence it can show, and the agent signs in again next
time rather than having the token written somewhere weaker.

(Named ``credentials`` so it does not shadow the standard library's ``secrets``.)
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, NoKeyringError

from csdesk.i18n import N_, _

__all__ = [
    "SERVICE",
    "CredentialStoreError",
    "account_name",
    "delete_token",
    "install_hint",
    "load_token",
    "store_token",
]

SERVICE = "csdesk"


class CredentialStoreError(Exception):
    """The system keyring could not be used; ``str()`` is a sentence fit for the user."""


def account_name(server_url: str, username: str) -> str:
    """The keyring entry name: one token per user per server, whatever the URL's spelling.

    ``HTTPS://Desk.example.com/`` and ``https://desk.example.com`` are the same server, so the
    scheme and host are lower-cased and a trailing slash dropped.
    """
    if not username.strip():
        raise ValueError("a user name is required to store a token")
    parts = urlsplit(server_url.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"server address must be a full URL, got {server_url!r}")
    normalized = urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", "")
    )
    return f"{username.strip()}@{normalized}"


def _backend(backend: KeyringBackend | None) -> KeyringBackend:
    return backend if backend is not None else keyring.get_keyring()


# Whole sentences per action, because the verb's form and place differ between languages.
_FAILED = {
    "save": N_("Could not save the sign-in token: {reason}. You will need to sign in again."),
    "read": N_("Could not read the sign-in token: {reason}. You will need to sign in again."),
    "delete": N_(
        "Could not delete the sign-in token: {reason}. It may still be in the system keyring."
    ),
}


def install_hint(platform: str = sys.platform) -> str | None:
    """What to install when there is no keyring at all: Windows and macOS always have one; a
    Linux (or BSD) desktop needs a Secret Service, and a minimal one often has none."""
    if platform in ("win32", "darwin"):
        return None
    return _(
        "To keep it, install and start a Secret Service keyring: gnome-keyring, KeePassXC "
        "(with its Secret Service integration turned on) or KWallet."
    )


def _error(action: str, exc: Exception) -> CredentialStoreError:
    hint = None
    if isinstance(exc, NoKeyringError):
        reason = _("no system keyring is available")
        hint = install_hint()
    elif isinstance(exc, KeyringLocked):
        reason = _("the system keyring is locked")
    else:
        reason = _("the system keyring reported an error ({error})").format(
            error=f"{type(exc).__name__}: {exc}"
        )
    message = _(_FAILED[action]).format(reason=reason)
    return CredentialStoreError(f"{message} {hint}" if hint else message)


def store_token(
    server_url: str, username: str, token: str, *, backend: KeyringBackend | None = None
) -> None:
    """Save ``token``, replacing any earlier one, and check the keyring really kept it.

    The read-back catches backends that accept a write and drop it (keyring's ``null``
    backend, a misconfigured chainer), which would otherwise surface as a mysterious sign-out.
    """
    if not token:
        raise ValueError("refusing to store an empty token")
    account = account_name(server_url, username)
    # Backend plug-ins raise their own exception types (D-Bus, Win32, Security framework), so
    # everything from them is caught here and reported, never passed through as a crash.
    try:
        store = _backend(backend)
        store.set_password(SERVICE, account, token)
        kept = store.get_password(SERVICE, account)
    except Exception as exc:
        raise _error("save", exc) from exc
    if kept != token:
        raise CredentialStoreError(
            _(_FAILED["save"]).format(reason=_("the system keyring did not keep it"))
        )


def load_token(
    server_url: str, username: str, *, backend: KeyringBackend | None = None
) -> str | None:
    """The stored token, or ``None`` if this user never signed in to this server here."""
    account = account_name(server_url, username)
    try:
        return _backend(backend).get_password(SERVICE, account)
    except Exception as exc:
        raise _error("read", exc) from exc


def delete_token(server_url: str, username: str, *, backend: KeyringBackend | None = None) -> None:
    """Forget the token (sign-out). Deleting a token that is not there is not an error."""
    account = account_name(server_url, username)
    try:
        store = _backend(backend)
        if store.get_password(SERVICE, account) is None:
            return
        store.delete_password(SERVICE, account)
    except Exception as exc:
        raise _error("delete", exc) from exc
