"""Translation providers: LibreTranslate (self-hostable) and DeepL, as the operator configured
them with ``csdesk-server translation add``.

A connection is one row of ``translation_connections`` (its name, default the provider):
settings in the clear, the API key encrypted with the channels' vault like stores and channels.
Every request goes out through ``channels.egress`` (https only, every resolved address public,
no proxy from the environment, redirects checked hop by hop), with a bounded time and a bounded
answer. The documented request shapes:

* LibreTranslate: ``POST <url>/translate``, JSON ``{"q", "source", "target", "format": "text",
  "api_key"}`` (``source`` may be ``"auto"``); answer ``{"translatedText", "detectedLanguage":
  {"language", "confidence"}}``; errors ``{"error": "..."}`` with 400, 403, 429, 500.
* DeepL: ``POST https://api-free.deepl.com/v2/translate`` (a Free key ends in ``:fx``) or
  ``https://api.deepl.com/v2/translate`` (Pro), header ``Authorization: DeepL-Auth-Key <key>``,
  JSON ``{"text": [...], "target_lang", "source_lang"?}``; answer ``{"translations":
  [{"detected_source_language", "text"}]}``; 403 bad key, 413 too large, 429 too many
  requests, 456 quota exceeded, 5xx unavailable.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.server.channels import egress
from csdesk.server.channels.vault import Vault
from csdesk.storage import models as m

NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")
PROVIDERS: Final = ("libretranslate", "deepl")
DEEPL_FREE: Final = "https://api-free.deepl.com"
DEEPL_PRO: Final = "https://api.deepl.com"
#: Seconds to connect and to read an answer: an agent is waiting
#: (``CSDESK_TRANSLATION_TIMEOUT`` sets the second).
TIMEOUT: Final = (5.0, 20.0)
#: The most a provider's answer may be; a translation of MAX_TEXT characters fits easily.
MAX_ANSWER: Final = 512 * 1024


class TranslationError(Exception):
    """A translation that did not happen; ``code`` for the desk, ``message`` for people,
    ``status`` the HTTP status the API answers with, ``retry_after`` seconds when known."""

    def __init__(
        self, code: str, message: str, status: int = 502, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Connection:
    name: str
    provider: str
    enabled: bool
    settings: Mapping[str, Any]
    api_key: str

    @property
    def base_url(self) -> str:
        url = str(self.settings.get("url") or "").rstrip("/")
        if self.provider == "deepl" and not url:
            return DEEPL_FREE if self.api_key.endswith(":fx") else DEEPL_PRO
        return url


@dataclass(frozen=True, slots=True)
class Translation:
    text: str
    source: str | None  # the language the provider read, when it says
    provider: str


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ValueError("a name is 1-16 lower-case letters, digits or dashes")
    return name


def check_url(provider: str, url: str | None) -> str | None:
    """The base URL as given (LibreTranslate must have one). https, or http for an origin the
    operator listed in ``CSDESK_FETCH_TRUSTED_ORIGINS`` (a LibreTranslate on the same host or
    network, which the outbound rules otherwise refuse as a private address)."""
    if not url:
        if provider == "libretranslate":
            raise ValueError("libretranslate: give --url, the server's https base URL")
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{provider}: --url must be an https URL such as https://lt.example.com")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"{provider}: --url must not carry a user, password, query or fragment")
    return url.strip().rstrip("/")


def save(
    session: Session,
    vault: Vault,
    name: str,
    provider: str,
    settings: Mapping[str, Any],
    api_key: str,
    *,
    enabled: bool = True,
) -> m.TranslationConnection:
    """Create or replace a connection; its key encrypted with ``vault``."""
    if provider not in PROVIDERS:
        raise ValueError(f"unknown translation provider {provider!r}")
    check_name(name)
    if provider == "deepl" and not api_key:
        raise ValueError("deepl: an API key is required")
    clean = {k: v for k, v in settings.items() if v not in (None, "")}
    if "url" in clean or provider == "libretranslate":
        clean["url"] = check_url(provider, clean.get("url"))
    row = session.get(m.TranslationConnection, name)
    token = vault.encrypt({"api_key": api_key})
    if row is None:
        row = m.TranslationConnection(name=name, provider=provider, secrets=token)
        session.add(row)
    row.provider, row.enabled, row.settings, row.secrets = provider, enabled, clean, token
    session.flush()
    return row


def remove(session: Session, name: str) -> bool:
    row = session.get(m.TranslationConnection, name)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def rows(session: Session) -> list[m.TranslationConnection]:
    return list(
        session.scalars(select(m.TranslationConnection).order_by(m.TranslationConnection.name))
    )


def active(session: Session, vault: Vault) -> Connection | None:
    """The first enabled connection by name, decrypted (``VaultError`` if the key is wrong)."""
    for row in rows(session):
        if row.enabled:
            secrets = vault.decrypt(row.secrets)
            return Connection(
                row.name, row.provider, row.enabled, dict(row.settings or {}), secrets["api_key"]
            )
    return None


# --- requests -------------------------------------------------------------------------------


def deepl_target(language: str) -> str:
    """DeepL's target code: English and Portuguese need their variant (EN-GB, PT-PT, PT-BR)."""
    tag = language.replace("_", "-").upper()
    if tag in ("EN", "PT"):
        return {"EN": "EN-GB", "PT": "PT-PT"}[tag]
    if tag in ("EN-GB", "EN-US", "PT-PT", "PT-BR"):
        return tag
    return tag.split("-")[0]


def _timeout() -> tuple[float, float]:
    try:
        read = float(os.environ.get("CSDESK_TRANSLATION_TIMEOUT", "") or TIMEOUT[1])
    except ValueError:
        read = TIMEOUT[1]
    return TIMEOUT[0], max(0.1, min(read, 120.0))


def _post(
    http: egress.GuardedSession,
    url: str,
    body: dict[str, Any],
    headers: Mapping[str, str],
    provider: str,
) -> Any:
    http.policy.check_url(url, None)
    try:
        resp = http.post(
            url,
            json=body,
            headers=dict(headers),
            timeout=_timeout(),
            allow_redirects=False,
            stream=True,
        )
    except egress.Refused:
        raise
    except requests.Timeout:
        raise TranslationError(
            "translation_timeout", f"{provider} did not answer in time; try again.", 504
        ) from None
    except requests.RequestException as exc:
        raise TranslationError(
            "translation_unreachable", f"{provider} cannot be reached ({type(exc).__name__})."
        ) from None
    try:
        raw = resp.raw.read(MAX_ANSWER + 1, decode_content=True)
    except (requests.RequestException, OSError, ValueError) as exc:
        if "timed out" in str(exc).lower():
            raise TranslationError(
                "translation_timeout", f"{provider} did not answer in time; try again.", 504
            ) from None
        raise TranslationError(
            "translation_unreachable", f"{provider} cannot be reached ({type(exc).__name__})."
        ) from None
    finally:
        resp.close()
    if len(raw) > MAX_ANSWER:
        raise TranslationError("translation_bad_answer", f"{provider}'s answer is too large.")
    _raise_for(resp.status_code, resp.headers, raw, provider)
    try:
        return json.loads(raw)
    except ValueError:
        raise TranslationError(
            "translation_bad_answer", f"{provider}'s answer is not JSON."
        ) from None


def _raise_for(status: int, headers: Mapping[str, str], raw: bytes, provider: str) -> None:
    if status == 200:
        return
    retry: int | None = None
    try:
        retry = max(1, int(float(headers.get("Retry-After", ""))))
    except ValueError:
        retry = None
    if status == 429:
        raise TranslationError(
            "translation_rate_limited",
            f"{provider} is receiving too many requests; try again in a minute.",
            429,
            retry or 60,
        )
    if status == 456:
        raise TranslationError(
            "translation_quota_exceeded",
            f"The {provider} character quota is used up; an administrator can raise it.",
            503,
        )
    if status in (401, 403):
        raise TranslationError(
            "translation_not_authorized",
            f"{provider} refused the API key; an administrator must check it.",
            502,
        )
    if status == 413:
        raise TranslationError("translation_too_large", f"{provider}: the text is too long.", 413)
    if status == 400:
        raise TranslationError(
            "translation_refused",
            f"{provider} cannot translate this (unsupported language?).",
            422,
        )
    raise TranslationError(
        "translation_unavailable", f"{provider} is unavailable (HTTP {status}); try again later."
    )


def translate(
    http: egress.GuardedSession,
    conn: Connection,
    text: str,
    target: str,
    source: str | None = None,
) -> Translation:
    """``text`` in ``target`` through ``conn``.

    Raises ``TranslationError`` or ``egress.Refused``.
    """
    if conn.provider == "libretranslate":
        body: dict[str, Any] = {
            "q": text,
            "source": (source or "auto").split("-")[0],
            "target": target.split("-")[0],
            "format": "text",
        }
        if conn.api_key:
            body["api_key"] = conn.api_key
        data = _post(http, conn.base_url + "/translate", body, {}, conn.provider)
        out = data.get("translatedText") if isinstance(data, dict) else None
        detected = data.get("detectedLanguage") if isinstance(data, dict) else None
        found = detected.get("language") if isinstance(detected, dict) else None
        if not isinstance(out, str):
            raise TranslationError("translation_bad_answer", "LibreTranslate gave no translation.")
        return Translation(out, str(found) if found else source, conn.provider)
    body = {"text": [text], "target_lang": deepl_target(target)}
    if source:
        body["source_lang"] = source.split("-")[0].upper()
    headers = {"Authorization": f"DeepL-Auth-Key {conn.api_key}"}
    data = _post(http, conn.base_url + "/v2/translate", body, headers, conn.provider)
    items = data.get("translations") if isinstance(data, dict) else None
    first = items[0] if isinstance(items, list) and items else None
    if not isinstance(first, dict) or not isinstance(first.get("text"), str):
        raise TranslationError("translation_bad_answer", "DeepL gave no translation.")
    lang = first.get("detected_source_language")
    return Translation(first["text"], str(lang).lower() if lang else source, conn.provider)
