"""A sentence the desk shows in the agent's language: a literal brace template and its params.

Code that explains a refusal or writes a notice the agent reads returns a ``Phrase`` instead
of a finished English string, so the template travels to the desk, which looks it up in its
own catalogue (``csdesk.sync.reasons``). The template must be a plain string literal at the
``Phrase(...)`` call: that is how ``pybabel extract -k Phrase`` finds it
(``tests/server/test_refusal_literals.py`` checks it). Params are JSON primitives: names,
numbers, codes, never a sentence of their own. Standard library only (``csdesk.domain``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["Param", "Phrase", "PhraseError", "fill"]

#: A phrase's parameter: a JSON primitive.
Param = str | int | float | bool


def fill(template: str, params: Mapping[str, Param]) -> str:
    """``template`` with ``params`` put in (a template without params is returned as is, so a
    literal brace in a param-less message stays)."""
    return template.format(**params) if params else template


class Phrase:
    """``Phrase("Only {left} left.", left=2)``: ``.template``, ``.params``, ``.text`` (English)."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Param) -> None:
        self.template = template
        self.params: Mapping[str, Param] = MappingProxyType(dict(params))

    @property
    def text(self) -> str:
        """The English sentence (logs, the CLI, desks from before templates)."""
        return fill(self.template, self.params)

    def as_json(self) -> dict[str, Any]:
        """``{"template", "params"}``: what is stored beside the English text."""
        return {"template": self.template, "params": dict(self.params)}

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Phrase({self.template!r}, **{dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Phrase):
            return NotImplemented
        return self.template == other.template and dict(self.params) == dict(other.params)

    def __hash__(self) -> int:
        return hash((self.template, tuple(sorted(self.params.items()))))


class PhraseError(ValueError):
    """A value refused for a reason people read: ``phrase`` (shown in the desk's language),
    ``str(exc)`` the English text (logs, the CLI)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(phrase.text)
        self.phrase = phrase
