"""Training never touches production: the package cannot reach the network, the sync engine,
the storage layer or the server, and does not depend on Qt (checked on the source, as
``tests/unit/test_layering.py`` does for the house layers)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "csdesk" / "training"
# csdesk.resources: the shared data-file locator (standard library only), for the scenarios.
ALLOWED_OURS = ("csdesk.domain", "csdesk.i18n", "csdesk.resources", "csdesk.training")
NETWORK = {
    "socket",
    "ssl",
    "http",
    "urllib",
    "asyncio",
    "requests",
    "httpx",
    "sqlite3",
    "sqlalchemy",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_training_imports_only_the_standard_library_domain_and_i18n() -> None:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) >= 5
    for path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "csdesk":
                assert name.startswith(ALLOWED_OURS), f"{path.name} imports {name}"
            else:
                assert top in sys.stdlib_module_names or top == "__future__", (path.name, name)
                assert top not in NETWORK, f"{path.name} imports {name}"
