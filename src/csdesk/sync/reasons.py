"""A server refusal in the desk's language (issue 13).

The server sends a refusal's English ``message`` and, since issue 13, its brace ``template``
and JSON-primitive ``params``. :func:`localized` looks the template up in the desk's catalogue
and formats it; anything unexpected (no template, params that do not fit, a hostile template
asking for attributes or items) falls back to the English message. Qt-free.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from csdesk.domain.phrase import Phrase
from csdesk.i18n import _

#: Longest template or formatted text the desk will format (the rest falls back).
MAX_TEXT = 4000
#: Most lines a server note's phrases may have (more: its English text is shown).
MAX_PHRASES = 50


class _SafeFormatter(string.Formatter):
    """``str.format`` that only looks up plain named fields: no ``.attr``, ``[index]``,
    positional fields or nested format specs, so a template cannot reach into objects."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if not field_name.isidentifier():
            raise ValueError("only plain named fields")
        return kwargs[field_name], field_name

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec:
            raise ValueError("no format specs")
        return super().format_field(value, format_spec)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:
            raise ValueError("no conversions")
        return value


_FORMATTER = _SafeFormatter()
_PRIMITIVES = (str, int, float, bool)


def safe_format(template: str, params: Mapping[str, Any]) -> str:
    """``template`` filled from ``params`` (primitives only); ``ValueError``/``KeyError`` if it
    does not fit."""
    if not all(isinstance(v, _PRIMITIVES) for v in params.values()):
        raise ValueError("params must be primitives")
    return _FORMATTER.vformat(template, (), dict(params))


def localized(reason: Mapping[str, Any]) -> str:
    """The reason's text in the desk's language, or its English ``message``."""
    message = reason.get("message")
    english = message if isinstance(message, str) else ""
    template = reason.get("template")
    params = reason.get("params", {})
    if not isinstance(template, str) or not template or len(template) > MAX_TEXT:
        return english
    if not isinstance(params, dict):
        return english
    if not params and template != english:
        return english  # without params the server sends the template as the message itself
    try:
        translated = _(template)
        text = safe_format(translated, params) if params else translated
    except (ValueError, KeyError, IndexError, TypeError):
        return english
    return text if len(text) <= MAX_TEXT else english


#: How the server writes a time into a note's params ("2026-12-08 02:04 UTC", the SLA
#: escalation's due time): the English text keeps it so, the desk shows it in local time.
_SERVER_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def phrases_text(
    phrases: object, english: str, times: Callable[[datetime], str] | None = None
) -> str:
    """A server note's lines (``Message.body_phrases``: ``[{"template", "params"}]``) in the
    desk's language, one a line; its English ``body_text`` when there are none or they are not
    what the server writes. A line whose translation does not fit its params is that line in
    English (a catalogue's slip costs one line, not the note). ``times``: how a time the
    server wrote in UTC is shown (the desk's local time, in its language's format)."""
    if not isinstance(phrases, list) or not phrases or len(phrases) > MAX_PHRASES:
        return english
    lines: list[str] = []
    for item in phrases:
        template = item.get("template") if isinstance(item, dict) else None
        params = item.get("params", {}) if isinstance(item, dict) else None
        if not isinstance(template, str) or not template or len(template) > MAX_TEXT:
            return english
        if not isinstance(params, dict):
            return english
        if times is not None:
            params = {k: _local_time(v, times) for k, v in params.items()}
        line = _line(template, params)
        if line is None:
            return english
        lines.append(line)
    text = "\n".join(lines)
    return text if len(text) <= MAX_TEXT else english


def _local_time(value: object, times: Callable[[datetime], str]) -> object:
    if not isinstance(value, str) or not _SERVER_TIME.fullmatch(value):
        return value
    try:
        at = datetime.strptime(value, "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
    except ValueError:  # "9999-99-99 …": shown as the server wrote it
        return value
    return times(at)


def _line(template: str, params: dict[str, Any]) -> str | None:
    """One phrase in the desk's language, else in English, else None (it does not fit)."""
    for candidate in (_(template), template):
        try:
            text = safe_format(candidate, params) if params else candidate
        except (ValueError, KeyError, IndexError, TypeError):
            continue
        if len(text) <= MAX_TEXT:
            return text
    return None


def phrase_text(phrase: Phrase) -> str:
    """A ``Phrase`` (a rule's reason shared by the server and the desk) in the desk's
    language, with the same fallbacks as a server's reason."""
    return localized({"message": phrase.text, **phrase.as_json()})
