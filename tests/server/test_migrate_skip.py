"""A server starting on a database already at head does not import alembic (issue 10 item 6:
alembic with mako, pygments and every dialect cost each start hundreds of milliseconds), and
one that is behind is still upgraded."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.script import ScriptDirectory

from csdesk.storage.db import make_engine
from csdesk.storage.migrate import alembic_config, at_head, downgrade, script_heads, upgrade


def test_script_heads_read_from_text_are_alembics(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    finally:
        engine.dispose()
    assert script_heads() == frozenset(heads) != frozenset()


def test_upgrade_skips_alembic_only_at_head(blank_db_url: str) -> None:
    engine = make_engine(blank_db_url)
    try:
        assert not at_head(engine)  # a new database
        upgrade(engine)
        assert at_head(engine)
        downgrade(engine, "0005")
        assert not at_head(engine)
        upgrade(engine)
        assert at_head(engine)
    finally:
        engine.dispose()
    probe = (
        "import sys\n"
        "from csdesk.storage.db import make_engine\n"
        "from csdesk.storage.migrate import upgrade\n"
        "engine = make_engine(sys.argv[1])\n"
        "upgrade(engine)\n"
        "engine.dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, blank_db_url],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=True,
    )
    assert run.stdout.strip() == "False"
