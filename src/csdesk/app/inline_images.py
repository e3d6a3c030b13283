"""Inline images of an email (``<img src="cid:…">``) from the message's own attachments.

The server keeps a mail's inline parts as attachments with their Content-ID; the formatted
view asks for them by ``cid:`` URL. ``resolve`` maps each ``cid:`` URL the HTML uses to the
bytes of the attachment with that Content-ID.  It downloads, so run it on a worker
(``ui/tasks.py``); an image that cannot be fetched is left out (it stays a broken image).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final
from urllib.parse import unquote

log = logging.getLogger(__name__)

MAX_IMAGES: Final = 50
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
_CID = re.compile(r"""\bsrc\s*=\s*["']?(cid:[^"'\s>]+)""", re.I)


def _key(content_id: str) -> str:
    """RFC 2392: a cid URL is the Content-ID without brackets, URL-encoded; case-insensitive."""
    return unquote(content_id).strip().strip("<>").strip().lower()


def cid_urls(html: str) -> list[str]:
    """The ``cid:`` URLs the HTML shows, each once, in order."""
    return list(dict.fromkeys(_CID.findall(html or "")))[:MAX_IMAGES]


def resolve(
    html: str, attachments: Iterable[Mapping[str, Any]], fetch: Callable[[int], bytes]
) -> dict[str, bytes]:
    """``{cid URL: image bytes}`` for the inline images of a message; ``fetch(index)`` gives
    the bytes of its attachment number ``index`` (network: call this on a worker)."""
    wanted: dict[str, list[str]] = {}
    for url in cid_urls(html):
        wanted.setdefault(_key(url[4:]), []).append(url)
    found: dict[str, bytes] = {}
    for index, meta in enumerate(attachments):
        urls = wanted.pop(_key(str(meta.get("content_id") or "")), None)
        if not urls or not meta.get("sha256"):  # not used, or its bytes were not kept
            continue
        if int(meta.get("size") or 0) > MAX_IMAGE_BYTES:
            continue
        try:
            data = fetch(index)
        except Exception as exc:  # one missing image must not cost the others
            log.info("inline image %d could not be fetched: %s", index, exc)
            continue
        for url in urls:
            found[url] = data
    return found
