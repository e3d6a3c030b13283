"""How big and how many files a reply may carry on each channel, as the providers document them.

The desk checks a file the moment the agent picks it, so a reply is never queued only to fail
at the provider an hour later.  Where a channel can go through more than one provider (WhatsApp
through Meta or Twilio) the stricter documented figure wins: the desk does not know which
connection the server will use.  The server enforces its own upload cap (``MAX_UPLOAD_BYTES``)
and the email connection's ``max_attachment_bytes`` setting on top.

Sources (checked 2026): Twilio "Accepted content types for media" (5 MB per MMS, 10 media;
WhatsApp through Twilio 16 MB); Meta WhatsApp Cloud API "Supported media types" (image 5 MB,
audio/video 16 MB, document 100 MB); Messenger Platform "Attachment upload" (25 MB); Instagram
Messaging (8 MB images, 25 MB other); Telegram Bot API (10 MB photos, 50 MB other uploads);
common SMTP limits (25 MB message, base64 adds a third: about 18 MB of files).

Notes (internal, never sent) may carry files too: a screenshot belongs with the case.  They
are limited only by the server's upload cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from csdesk.domain.enums import Channel

MB: Final = 1024 * 1024

#: The biggest single file the server accepts at ``POST /api/v1/attachments``.
MAX_UPLOAD_BYTES: Final = 50 * MB
#: At most this many files on one reply, whatever the channel.
MAX_FILES: Final = 10
#: Email: the default cap on all files of one reply, when the connection sets none.
DEFAULT_EMAIL_BYTES: Final = 18 * MB


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """``image_bytes`` applies to image/* files, ``file_bytes`` to every other file,
    ``total_bytes`` to all files of one reply together (None: no such rule)."""

    image_bytes: int
    file_bytes: int
    total_bytes: int | None = None
    max_files: int = MAX_FILES
    #: Only these content types go through (None: any type).
    allowed_prefixes: tuple[str, ...] | None = None


LIMITS: Final[dict[str, ChannelLimits]] = {
    Channel.EMAIL.value: ChannelLimits(
        DEFAULT_EMAIL_BYTES, DEFAULT_EMAIL_BYTES, total_bytes=DEFAULT_EMAIL_BYTES
    ),
    # Twilio MMS: 5 MB for the whole message, ten media items.
    Channel.SMS.value: ChannelLimits(5 * MB, 5 * MB, total_bytes=5 * MB, max_files=10),
    # Meta: images 5 MB, documents 100 MB; Twilio's WhatsApp: 16 MB. The stricter wins.
    Channel.WHATSAPP.value: ChannelLimits(5 * MB, 16 * MB),
    Channel.MESSENGER.value: ChannelLimits(25 * MB, 25 * MB),
    Channel.INSTAGRAM.value: ChannelLimits(8 * MB, 25 * MB),
    Channel.TELEGRAM.value: ChannelLimits(10 * MB, 50 * MB),
    Channel.CHAT.value: ChannelLimits(25 * MB, 25 * MB),
}
NOTE_LIMITS: Final = ChannelLimits(MAX_UPLOAD_BYTES, MAX_UPLOAD_BYTES)


class Problem(StrEnum):
    TOO_MANY = "too_many"
    TOO_BIG = "too_big"
    TOTAL_TOO_BIG = "total_too_big"
    EMPTY = "empty"
    NO_FILES_HERE = "no_files_here"


@dataclass(frozen=True, slots=True)
class FileInfo:
    name: str
    size: int
    content_type: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a file cannot go; ``limit`` is in bytes (or files, for TOO_MANY)."""

    problem: Problem
    name: str
    limit: int


def limits_for(channel: str, *, note: bool = False) -> ChannelLimits | None:
    """The rules for ``channel`` (None: the channel takes no files, e.g. a phone call)."""
    if note:
        return NOTE_LIMITS
    return LIMITS.get(channel)


def is_image(content_type: str) -> bool:
    return content_type.lower().startswith("image/")


def check(channel: str, files: Sequence[FileInfo], *, note: bool = False) -> Refusal | None:
    """The first rule ``files`` (already attached plus any new ones) break, or None."""
    rules = limits_for(channel, note=note)
    if rules is None:
        return Refusal(Problem.NO_FILES_HERE, files[0].name if files else "", 0) if files else None
    if len(files) > rules.max_files:
        return Refusal(Problem.TOO_MANY, files[rules.max_files].name, rules.max_files)
    total = 0
    for f in files:
        if f.size <= 0:
            return Refusal(Problem.EMPTY, f.name, 0)
        limit = rules.image_bytes if is_image(f.content_type) else rules.file_bytes
        limit = min(limit, MAX_UPLOAD_BYTES)
        if f.size > limit:
            return Refusal(Problem.TOO_BIG, f.name, limit)
        total += f.size
        if rules.total_bytes is not None and total > rules.total_bytes:
            return Refusal(Problem.TOTAL_TOO_BIG, f.name, rules.total_bytes)
    return None


def human_size(n: int) -> str:
    """``5 MB``, ``300 KB``: for messages; binary units, as the providers' figures are."""
    if n >= MB:
        value = n / MB
        return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} B"
