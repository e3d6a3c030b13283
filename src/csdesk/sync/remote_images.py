"""Fetching an email's remote images, only when the agent asks (they can track the reader).

Size- and type-limited, with a short timeout; run on a worker, never on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Iterable

import requests

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 10.0


def fetch_images(urls: Iterable[str], *, max_bytes: int = MAX_BYTES) -> dict[str, bytes]:
    """``url -> image bytes`` for the remote images that could be fetched; others are left
    out (the message still shows, with those images missing)."""
    images: dict[str, bytes] = {}
    with requests.Session() as session:
        for url in dict.fromkeys(urls):
            if not url.startswith(("http://", "https://")):
                continue
            try:
                with session.get(url, timeout=TIMEOUT, stream=True) as response:
                    kind = response.headers.get("content-type", "")
                    if not response.ok or not kind.startswith("image/"):
                        continue
                    data = bytearray()
                    for chunk in response.iter_content(64 * 1024):
                        data += chunk
                        if len(data) > max_bytes:
                            break
                    else:
                        images[url] = bytes(data)
            except requests.RequestException:
                continue
    return images
