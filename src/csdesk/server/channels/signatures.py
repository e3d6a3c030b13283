"""Proof that a webhook came from the provider and not from someone who found our URL.

Each check follows the provider's documented algorithm exactly, compares in constant time and
fails *closed*: a missing header, an empty configured secret or a malformed signature is a
refusal.  Error messages name what was wrong but never echo the secret (or the signature we
computed from it), because these messages end up in logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlsplit, urlunsplit


class SignatureError(Exception):
    """The request's signature is missing or does not match; answer 403 and store nothing."""


class VerificationHandshakeError(ValueError):
    """Meta's GET subscription handshake was refused; the subclass says why."""


class HandshakeModeError(VerificationHandshakeError):
    """``hub.mode`` was missing or not ``subscribe``."""


class HandshakeTokenError(VerificationHandshakeError):
    """``hub.verify_token`` was missing or differs from the configured token."""


class HandshakeChallengeError(VerificationHandshakeError):
    """``hub.challenge`` was missing or empty, so there is nothing to echo back."""


def _same(a: str, b: str) -> bool:
    """Constant-time equality that also accepts non-ASCII input (compare_digest on str does not)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _require_secret(secret: str, what: str) -> bytes:
    """An unset secret must refuse everything, never accept everything."""
    if not secret:
        raise SignatureError(f"{what} is not configured; refusing the request")
    return secret.encode("utf-8")


# --- Twilio -------------------------------------------------------------------------------


Params = Mapping[str, str] | Iterable[tuple[str, str]]


def twilio_signature(auth_token: str, url: str, params: Params = ()) -> str:
    """Compute X-Twilio-Signature: base64(HMAC-SHA1(token, url + sorted name+value pairs)).

    Parameters are sorted by name, and repeated names by value, as Twilio's own validators do;
    pass an empty ``params`` for JSON bodies, whose URL carries ``bodySHA256`` instead.
    """
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    grouped: dict[str, set[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, set()).add(value)
    payload = url + "".join(
        name + value for name in sorted(grouped) for value in sorted(grouped[name])
    )
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> list[str]:
    """The URL as configured, with the scheme's default port and without any port.

    Twilio signs the URL as it dialled it, and whether a default port appears there depends on
    the product that made the request, so its validators accept both spellings; we do the same.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    variants = [url, urlunsplit(parts._replace(netloc=prefix + host))]
    if parts.port is None and default_port is not None:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default_port}")))
    return list(dict.fromkeys(variants))


def _public_url(public_url: str, query: str) -> str:
    """Attach the request's raw query string to the configured public URL (Twilio signs both)."""
    if not query:
        return public_url
    return f"{public_url}{'&' if '?' in public_url else '?'}{query.lstrip('?')}"


def verify_twilio_signature(
    *,
    auth_token: str,
    public_url: str,
    params: Params,
    signature: str | None,
    query: str = "",
) -> None:
    """Check a form-encoded Twilio webhook; raise SignatureError unless it is genuine.

    ``public_url`` is the webhook URL as configured in Twilio (scheme, host, path), never one
    rebuilt from the request's Host header: behind a proxy that header is ours to choose, and
    trusting it lets a forged request pick the URL its signature covers.  ``query`` is the
    request's raw query string, which Twilio includes in what it signs.
    """
    key = _require_secret(auth_token, "Twilio auth token")
    if not signature:
        raise SignatureError("missing X-Twilio-Signature header")
    url = _public_url(public_url, query)
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    for candidate in _url_variants(url):
        if _same(twilio_signature(key.decode("utf-8"), candidate, pairs), signature):
            return
    raise SignatureError("X-Twilio-Signature does not match the request")


def verify_twilio_json_signature(
    *,
    auth_token: str,
    public_url: str,
    body: bytes,
    signature: str | None,
    query: str = "",
) -> None:
    """Check a Twilio webhook with a JSON body.

    For JSON Twilio signs the URL alone; the URL's ``bodySHA256`` query parameter is the hex
    SHA-256 of the body, which ties the body to the signature.  Both must match.
    """
    key = _require_secret(auth_token, "Twilio auth token")
    if not signature:
        raise SignatureError("missing X-Twilio-Signature header")
    url = _public_url(public_url, query)
    expected_hash = parse_qs(urlsplit(url).query).get("bodySHA256", [""])[0]
    if not expected_hash:
        raise SignatureError("JSON webhook URL has no bodySHA256 parameter")
    if not _same(hashlib.sha256(body).hexdigest(), expected_hash.lower()):
        raise SignatureError("bodySHA256 does not match the request body")
    for candidate in _url_variants(url):
        if _same(twilio_signature(key.decode("utf-8"), candidate), signature):
            return
    raise SignatureError("X-Twilio-Signature does not match the request")


# --- Meta (WhatsApp Cloud API, Messenger, Instagram) ----------------------------------------


def meta_signature(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_meta_signature(
    *,
    app_secret: str,
    body: bytes,
    signature_256: str | None,
    signature_sha1: str | None = None,
) -> None:
    """Check X-Hub-Signature-256 over the exact bytes received (before any JSON parsing).

    A request that carries only the legacy SHA-1 ``X-Hub-Signature`` is refused: Meta sends
    both, so a lone SHA-1 header means someone downgraded the request on purpose.
    """
    key = _require_secret(app_secret, "Meta app secret")
    if not signature_256:
        if signature_sha1:
            raise SignatureError("only X-Hub-Signature (SHA-1) present; X-Hub-Signature-256 needed")
        raise SignatureError("missing X-Hub-Signature-256 header")
    scheme, _, received = signature_256.strip().partition("=")
    if scheme.lower() != "sha256" or not received:
        raise SignatureError("X-Hub-Signature-256 is not of the form sha256=<hex>")
    expected = hmac.new(key, body, hashlib.sha256).hexdigest()
    if not _same(expected, received.lower()):
        raise SignatureError("X-Hub-Signature-256 does not match the request body")


def meta_verify_handshake(query: Mapping[str, str], verify_token: str) -> str:
    """Answer Meta's GET subscription check: return ``hub.challenge`` to echo as the body.

    Raises a VerificationHandshakeError subclass (answer 403) when the mode is wrong, the token
    differs from ours or the challenge is missing.
    """
    if not verify_token:
        raise HandshakeTokenError("webhook verify token is not configured")
    if query.get("hub.mode") != "subscribe":
        raise HandshakeModeError("hub.mode must be 'subscribe'")
    received = query.get("hub.verify_token")
    if not received or not _same(received, verify_token):
        raise HandshakeTokenError("hub.verify_token does not match")
    challenge = query.get("hub.challenge")
    if not challenge:
        raise HandshakeChallengeError("hub.challenge is missing")
    return challenge


# --- Telegram ---------------------------------------------------------------------------


def verify_telegram_secret(*, secret_token: str, header_value: str | None) -> None:
    """Check X-Telegram-Bot-Api-Secret-Token against the secret given to setWebhook.

    Telegram signs nothing; the shared secret header is its whole proof of origin.
    """
    _require_secret(secret_token, "Telegram webhook secret token")
    if not header_value:
        raise SignatureError("missing X-Telegram-Bot-Api-Secret-Token header")
    if not _same(header_value, secret_token):
        raise SignatureError("X-Telegram-Bot-Api-Secret-Token does not match")
