"""DESIGN rule 1, checked on the source: dependencies point one way.

- ``csdesk.domain`` imports nothing of ours (and no third-party package);
- PySide6 only in ``csdesk.ui``; FastAPI/Starlette/uvicorn only in ``csdesk.server``;
- ``requests`` only in ``csdesk.sync`` and the server's channel senders, store connectors and
  translation connectors (the server must call provider APIs; the rule's intent is that the
  window reaches the network only through sync);
- nothing below ``csdesk.ui`` imports ``csdesk.ui``; the client side never imports the server.

Static (the AST of every module, including imports inside functions), so a lazy import
cannot slip past it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "csdesk"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _module(path: Path) -> str:
    return ".".join(("csdesk", *path.relative_to(SRC).with_suffix("").parts))


MODULES = {_module(p): _imports(p) for p in sorted(SRC.rglob("*.py"))}


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module: str) -> None:
    bad = []
    for name in MODULES[module]:
        top = _top(name)
        if top == "PySide6" and not _under(module, "csdesk.ui"):
            bad.append(name)
        if top in ("fastapi", "starlette", "uvicorn") and not _under(module, "csdesk.server"):
            bad.append(name)
        if top == "requests" and not _under(
            module,
            "csdesk.sync",
            "csdesk.server.channels",
            "csdesk.server.commerce",
            "csdesk.server.languages",
        ):
            bad.append(name)
        if _under(name, "csdesk.ui") and not _under(module, "csdesk.ui", "csdesk.__main__"):
            bad.append(name)
        if _under(name, "csdesk.server") and _under(
            module, "csdesk.sync", "csdesk.app", "csdesk.ui", "csdesk.domain"
        ):
            bad.append(name)
    assert bad == [], f"{module} imports across the layers: {sorted(bad)}"


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    import sys

    for module, names in MODULES.items():
        if not _under(module, "csdesk.domain"):
            continue
        foreign = [
            n
            for n in names
            if not _under(n, "csdesk.domain")
            and _top(n) not in sys.stdlib_module_names
            and _top(n) != "__future__"
        ]
        assert foreign == [], f"{module} imports {foreign}"


def test_the_checker_sees_imports() -> None:
    assert "PySide6.QtWidgets" in MODULES["csdesk.ui.main_window"]
    assert any(_top(n) == "fastapi" for n in MODULES["csdesk.server.app"])
