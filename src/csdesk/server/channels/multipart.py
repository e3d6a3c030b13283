"""``multipart/form-data`` requests (RFC 7578) for providers that take file uploads.

Telegram (``sendPhoto``/``sendDocument`` with the file itself) and the WhatsApp Cloud API
(``POST /{phone_number_id}/media``) accept files only this way.  Built here as bytes, like every
other ``OutboundRequest``, so tests compare exactly what the provider would receive.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from csdesk.server.channels.outbound import OutboundRequest


@dataclass(frozen=True, slots=True)
class FilePart:
    field: str
    filename: str
    content_type: str
    data: bytes


def _quote(value: str) -> str:
    """A parameter value inside double quotes: RFC 7578 §4.2 escapes ``"`` and line breaks
    (as browsers do, percent-encoded); other characters travel as UTF-8."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart_request(
    method: str,
    url: str,
    fields: Sequence[tuple[str, str]],
    files: Sequence[FilePart],
    headers: Mapping[str, str],
    *,
    boundary: str | None = None,
) -> OutboundRequest:
    boundary = boundary or f"csdesk-{secrets.token_hex(16)}"
    dash = f"--{boundary}".encode("ascii")
    chunks: list[bytes] = []
    for name, value in fields:
        chunks += [
            dash,
            b"\r\n",
            f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode(),
            value.encode("utf-8"),
            b"\r\n",
        ]
    for part in files:
        disposition = (
            f'Content-Disposition: form-data; name="{_quote(part.field)}"; '
            f'filename="{_quote(part.filename)}"\r\n'
        )
        chunks += [
            dash,
            b"\r\n",
            disposition.encode("utf-8"),
            f"Content-Type: {part.content_type}\r\n\r\n".encode("ascii", "replace"),
            part.data,
            b"\r\n",
        ]
    chunks += [dash, b"--\r\n"]
    all_headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **headers}
    return OutboundRequest(method, url, tuple(all_headers.items()), b"".join(chunks))
