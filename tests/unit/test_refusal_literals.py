"""Every refusal and API error the desk may show is a registered template (issue 13).

The desk shows a server refusal in the agent's language by looking its brace template up in
its catalogue (docs/refusals.md), so the template must be a plain string literal at the raise
site, under a name ``pybabel extract`` knows (the Makefile's ``-k`` keywords):

- ``Reject``, every ``Refusal`` subclass and every module's ``_reject``/``reject`` wrapper:
  the second argument;
- ``ApiError``: the third;
- ``Phrase`` (a helper's reason, raised with ``Reject.saying``/``ApiError.saying``): the first.

This walks the syntax trees of ``src/csdesk``: a message built with an f-string, ``%``,
``.format``, ``+`` or passed in a variable fails with its file and line; so does a refusal
class the extraction keywords do not name. A few API errors never reach the desk (a
provider's webhook, the web chat's visitor): they are listed in ``NOT_FOR_THE_DESK`` with the
expression they pass.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.test_translations import KEYWORDS

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "csdesk"
MAKEFILE = ROOT / "Makefile"

#: The base classes whose subclasses are refusals with a template as their second argument.
REFUSAL_BASES = frozenset({"Refusal"})
#: Call name -> the (0-based) position of its template.
FIXED = {"ApiError": 2, "Phrase": 0}

#: API errors that answer a provider or a web visitor, never the desk: (file, expression).
NOT_FOR_THE_DESK = frozenset(
    {
        # a webhook's payload error, for the provider's logs
        ("server/channels/webhooks.py", "str(exc)"),
        ("server/channels/webhooks.py", "f'{provider.value} webhook refused: {exc}'"),
        (
            "server/channels/guard.py",
            "f'the {provider.value} channel is not configured on this server'",
        ),
        ("server/channels/guard.py", "f'the {provider.value} channel cannot be used now'"),
        (
            "server/channels/guard.py",
            "f'too many {what}{provider.value} webhook requests; retry later'",
        ),
        ("server/channels/guard.py", "f'webhook body over {limit} bytes'"),
        # a store's webhook
        ("server/commerce/routes.py", "f'no {provider} store {name!r} is connected'"),
        ("server/commerce/routes.py", "f'{provider} webhook refused: signature does not match'"),
        ("server/commerce/routes.py", "f'{provider} webhook: {parsed}'[:300]"),
        ("server/commerce/routes.py", "f'cannot apply it now: {exc.reason}'"),
        # the web chat's visitor (the widget shows its own words, docs/languages.md)
        ("server/chat/routes.py", "message"),
        # the desk says these in its own words by their code (app/translation.py _CODES)
        ("server/languages/routes.py", "exc.message"),
        ("server/languages/routes.py", "str(exc)"),
    }
)


@dataclass(frozen=True)
class Finding:
    where: str
    line: int
    call: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.call}(…, {self.message}, …)"


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def refusal_classes(trees: dict[str, ast.Module]) -> set[str]:
    """Names of the classes that derive, at any depth, from ``Refusal``."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                found = {_name(b) for b in node.bases}
                bases.setdefault(node.name, set()).update(n for n in found if n)
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for cls, parents in bases.items():
            if cls not in out and parents & (REFUSAL_BASES | out):
                out.add(cls)
                changed = True
    return out


def _passed_param(fn: ast.FunctionDef | None, msg: ast.expr) -> int | None:
    """``def _reject(code, message, **params): return Reject(code, message, **params)``:
    the position of the wrapper's own parameter the call passes through, else None."""
    if fn is None or not isinstance(msg, ast.Name):
        return None
    names = [a.arg for a in fn.args.args]
    return names.index(msg.id) if msg.id in names else None


def _message(call: ast.Call, pos: int) -> ast.expr | None:
    if len(call.args) > pos:
        return call.args[pos]
    return next((k.value for k in call.keywords if k.arg == "message"), None)


def check(trees: dict[str, ast.Module], refusals: set[str]) -> tuple[list[Finding], dict[str, int]]:
    """(messages that are not literals, the wrappers found with their template's position)."""
    positions = {**{name: 1 for name in refusals}, **FIXED}
    found: list[tuple[str, ast.Call, str, ast.expr]] = []
    wrappers: dict[str, int] = {}

    def visit(where: str, node: ast.AST, fn: ast.FunctionDef | None) -> None:
        # A wrapper returns the refusal it builds: ``return Reject(code, message, **params)``.
        returned = node.value if isinstance(node, ast.Return) else None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                name = _name(child.func)
                msg = _message(child, positions[name]) if name in positions else None
                if name is not None and msg is not None and not _is_literal(msg):
                    exempt = (where, ast.unparse(msg)) in NOT_FOR_THE_DESK
                    through = _passed_param(fn, msg)
                    if exempt:
                        pass
                    elif fn is not None and through is not None and child is returned:
                        wrappers[fn.name] = through
                    else:
                        found.append((where, child, name, msg))
            visit(where, child, child if isinstance(child, ast.FunctionDef) else fn)

    for where, tree in trees.items():
        visit(where, tree, None)
    # A wrapper's callers pass the template in turn: check them like the classes.
    for where, tree in trees.items():
        for node in ast.walk(tree):
            name = _name(node.func) if isinstance(node, ast.Call) else None
            if isinstance(node, ast.Call) and name in wrappers and name not in positions:
                msg = _message(node, wrappers[name])
                if msg is not None and not _is_literal(msg):
                    found.append((where, node, name, msg))
    findings = [Finding(w, c.lineno, n, ast.unparse(m)) for w, c, n, m in found]
    return findings, wrappers


@functools.cache
def _trees() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(SRC)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(SRC.rglob("*.py"))
    }


def _makefile_keywords() -> dict[str, str]:
    """``-k Reject:2`` → {"Reject": "2"}; ``-k Phrase`` → {"Phrase": ""}."""
    text = MAKEFILE.read_text(encoding="utf-8")
    return {m.group(1): m.group(2) or "" for m in re.finditer(r"-k (\w+)(?::([\d,]+))?", text)}


def test_every_refusal_message_is_a_literal_template() -> None:
    trees = _trees()
    findings, _wrappers = check(trees, refusal_classes(trees))
    assert not findings, (
        "a refusal's message must be a string literal with keyword params (docs/refusals.md); "
        "a helper's reason is a Phrase raised with .saying():\n  "
        + "\n  ".join(str(f) for f in findings)
    )


def test_every_refusal_name_is_an_extraction_keyword() -> None:
    trees = _trees()
    refusals = refusal_classes(trees)
    _findings, wrappers = check(trees, refusals)
    make = _makefile_keywords()
    want = {name: "2" for name in refusals}
    want |= {name: str(pos + 1) for name, pos in wrappers.items()}
    want |= {"ApiError": "3", "Phrase": ""}
    assert {"Reject", "MergeRefused", "ConversationRefused", "_reject", "reject"} <= set(want)
    missing = {n: w for n, w in want.items() if make.get(n) != w}
    assert not missing, f"add to the Makefile's i18n-extract: {missing}"
    test_keys = {n: KEYWORDS.get(n) for n in want}
    expected = {n: ((int(w),) if w else None) for n, w in want.items()}
    assert test_keys == expected, "and to tests/unit/test_translations.py's KEYWORDS"


def test_the_check_itself_catches_a_computed_message() -> None:
    source = """
class Odd(Refusal):
    pass

def _reject(code, message, **params):
    return Reject(code, message, **params)

def handler(name):
    raise _reject(1, f"Hello {name}")
    raise Odd(1, "Hi " + name)
    raise ApiError(400, "x", "no {a}".format(a=1))
    raise Reject.saying(1, Phrase(name))
    raise Reject(1, "Fine {n}.", n=name)
"""
    trees = {"fake.py": ast.parse(source)}
    findings, wrappers = check(trees, refusal_classes(trees) | {"Reject"})
    assert wrappers == {"_reject": 1}
    assert sorted((f.call, f.line) for f in findings) == [
        ("ApiError", 11),
        ("Odd", 10),
        ("Phrase", 12),
        ("_reject", 9),
    ]


@pytest.mark.parametrize("where", sorted({w for w, _ in NOT_FOR_THE_DESK}))
def test_every_exemption_is_still_needed(where: str) -> None:
    trees = _trees()
    used = {
        (where, ast.unparse(node.args[2]))
        for node in ast.walk(trees[where])
        if isinstance(node, ast.Call) and _name(node.func) == "ApiError" and len(node.args) > 2
    }
    stale = {e for e in NOT_FOR_THE_DESK if e[0] == where} - used
    assert not stale, f"no longer raised, drop from NOT_FOR_THE_DESK: {stale}"
