"""DESIGN rule 1: ``csdesk.sync`` uses requests and SQLAlchemy, never Qt or the server.
requests is loaded with the HTTP transport (``csdesk.sync.http``), at the first request."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("PySide6", "fastapi", "starlette", "uvicorn", "csdesk.server", "csdesk.ui")


def _modules(imports: str) -> list[str]:
    code = f"import sys, {imports}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_sync_imports_neither_qt_nor_the_server() -> None:
    loaded = _modules("csdesk.sync, csdesk.sync.http")
    bad = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN or m.startswith(FORBIDDEN))
    assert bad == []
    assert "requests" in loaded


def test_requests_loads_with_the_transport_not_with_the_sync_package() -> None:
    assert "requests" not in _modules("csdesk.sync")
    assert "requests" in _modules("csdesk.sync.api; csdesk.sync.api.load_transport()")
