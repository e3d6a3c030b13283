"""``csdesk-server``: serve, migrate, add-user, seed-demo, channel, store."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from csdesk.domain.enums import Role
from csdesk.server.config import ServerConfig, default_data_dir, default_db_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

#: Where ``serve`` and the other commands find the database URL when no option names it.
DB_ENV = "CSDESK_DATABASE_URL"
#: The variable older packaging passed on the command line (still read, so an upgrade that
#: installs the new unit file keeps its database).
LEGACY_DB_ENV = "CSDESK_DB"


def _db_arg(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--db",
        default=None,
        help=f"SQLAlchemy URL; default: ${DB_ENV}, else a SQLite file in the platform data dir "
        "(postgresql+psycopg://user@host/db for PostgreSQL). A password given here is "
        f"visible to every user of the machine: use ${DB_ENV} or --database-url-file",
    )
    where.add_argument(
        "--database-url-file",
        default=None,
        metavar="FILE",
        help="read the database URL (with its password) from FILE, e.g. a systemd credential",
    )


def shown_url(url: str) -> str:
    """The URL as it may be printed or logged: the password replaced by ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password is not None
    except (ArgumentError, ValueError):
        return shown_url(url) != url


def database_url(args: argparse.Namespace) -> str:
    """The database URL from --db, --database-url-file, $CSDESK_DATABASE_URL (or the older
    $CSDESK_DB), else the default SQLite file."""
    if args.db:
        if _has_password(args.db):
            print(
                f"csdesk-server: warning: the password in --db is visible to every user of "
                f"this machine; put the URL in ${DB_ENV} or a file (--database-url-file)",
                file=sys.stderr,
            )
        return str(args.db)
    if args.database_url_file:
        try:
            text = Path(args.database_url_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SystemExit(
                f"csdesk-server: cannot read the database URL file: {exc.__class__.__name__}: "
                f"{args.database_url_file}"
            ) from None
        url = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if not url:
            raise SystemExit(f"csdesk-server: {args.database_url_file} holds no database URL")
        return url
    return os.environ.get(DB_ENV) or os.environ.get(LEGACY_DB_ENV) or default_db_url()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csdesk-server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the sync server")
    _db_arg(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--public-url", default=None, help="the URL providers and browsers reach this server at"
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--data-dir", default=None, help="server files (secret.key); default: platform data dir"
    )
    serve.add_argument(
        "--simulate-customers",
        type=float,
        default=None,
        metavar="SECONDS",
        help="demo: a simulated customer writes in about every SECONDS (jittered)",
    )
    serve.add_argument(
        "--seed-demo-if-empty",
        action="store_true",
        help="fill an empty database (no users, teams, customers or conversations) with the "
        "demo store first (the embedded default: one process instead of seed-demo then serve)",
    )
    serve.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="shut down when stdin reaches end-of-file (the desk that started it is gone)",
    )

    mig = sub.add_parser("migrate", help="upgrade the database schema (or downgrade it)")
    _db_arg(mig)
    mig.add_argument(
        "--downgrade-to",
        default=None,
        metavar="REV",
        help="downgrade to this revision ('base' removes every table)",
    )

    add = sub.add_parser("add-user", help="create a user; the password is read from stdin")
    _db_arg(add)
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.AGENT.value)
    add.add_argument("--display-name", default=None)

    demo = sub.add_parser("seed-demo", help="fill the database with a believable demo store")
    _db_arg(demo)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--customers", type=int, default=50)
    demo.add_argument(
        "--conversations", type=int, default=None, help="default: about four per customer"
    )
    demo.add_argument(
        "--messages", type=int, default=None, help="default: about five per conversation"
    )
    from csdesk.server.channels.admin_cli import add_parser as add_channel_parser

    add_channel_parser(sub, _db_arg)
    from csdesk.server.commerce.admin_cli import add_parser as add_store_parser

    add_store_parser(sub, _db_arg)
    scripts = sub.add_parser("scripts", help="call scripts: import a script file, list them")
    script_actions = scripts.add_subparsers(dest="scripts_action", required=True)
    imp = script_actions.add_parser("import", help="add or replace call scripts from JSON files")
    _db_arg(imp)
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument(
        "--realm", choices=["production", "training", "both"], default="both",
        help="where agents (production) and trainees (training) see it; default: both",
    )  # fmt: skip
    _db_arg(script_actions.add_parser("list", help="show the stored call scripts"))
    phone = sub.add_parser(
        "call-phone",
        help="set the phone (+4420…) or Twilio client (client:NAME) a user's click-to-call "
        "rings first; an empty value removes it",
    )
    _db_arg(phone)
    phone.add_argument("username")
    phone.add_argument("phone")
    from csdesk.server.training.admin_cli import add_parser as add_scenario_parser

    add_scenario_parser(sub, _db_arg)
    from csdesk.server.languages.admin_cli import add_parser as add_translation_parser

    add_translation_parser(sub, _db_arg)
    return parser


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat: "):
            raise SystemExit("csdesk-server: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    db = database_url(args)
    try:
        return _run(args, db)
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, db: str) -> int:
    from sqlalchemy.exc import OperationalError

    try:
        if args.command == "serve":
            return _serve(args, db)
        from csdesk.server.state import ServerState
        from csdesk.storage.migrate import downgrade, upgrade

        # Every write goes through the server's feeding sessions, so clients see it.
        state = ServerState.build(ServerConfig(db_url=db, listen_notify=False))
        engine = state.engine
        if args.command == "migrate":
            if args.downgrade_to:
                downgrade(engine, args.downgrade_to)
            else:
                upgrade(engine)
            print(f"csdesk-server: database at {args.downgrade_to or 'head'}")
            return 0
        upgrade(engine)
        from csdesk.server.feed.log import ensure_counter

        with state.writes() as s:
            ensure_counter(s)
            s.commit()
        if args.command == "add-user":
            from csdesk.server.auth.service import create_user

            password = _read_password()
            with state.writes() as s:
                try:
                    create_user(
                        s, args.username, password, Role(args.role), display_name=args.display_name
                    )
                except ValueError as exc:
                    print(f"csdesk-server: {exc}", file=sys.stderr)
                    return 2
                s.commit()
            print(f"csdesk-server: added {args.role} {args.username!r}")
            return 0
        if args.command == "seed-demo":
            from csdesk.server.demo import seed_demo

            try:
                summary = seed_demo(
                    engine,
                    seed=args.seed,
                    customers=args.customers,
                    conversations=args.conversations,
                    messages=args.messages,
                )
            except ValueError as exc:
                print(f"csdesk-server: {exc}", file=sys.stderr)
                return 2
            print(f"csdesk-server: {summary}")
            return 0
        if args.command == "channel":
            from csdesk.server.channels.admin_cli import run as run_channel

            return run_channel(args, state.writes, state.config.data_dir)
        if args.command == "scripts":
            return _scripts(args, state)
        if args.command == "store":
            from csdesk.server.commerce.admin_cli import run as run_store

            return run_store(args, state.writes, state.config.data_dir)
        if args.command == "call-phone":
            from csdesk.server.callbacks.admin import set_call_phone

            return set_call_phone(state, args.username, args.phone)
        if args.command == "scenario":
            from csdesk.server.training.admin_cli import run as run_scenario

            return run_scenario(args, state.writes)
        if args.command == "translation":
            from csdesk.server.languages.admin_cli import run as run_translation

            return run_translation(args, state.writes, state.config.data_dir)
    except OperationalError as exc:
        print(f"csdesk-server: cannot use database {shown_url(db)!r}: {exc.orig}", file=sys.stderr)
        return 2
    raise AssertionError(args.command)


def _scripts(args: argparse.Namespace, state: object) -> int:
    """``scripts import FILE...`` checks every file before storing any; ``scripts list``."""
    from csdesk.server import scripts
    from csdesk.server.state import ServerState

    assert isinstance(state, ServerState)
    if args.scripts_action == "list":
        with state.writes() as s:
            rows = scripts.listing(s)
            for row in rows:
                steps = len(row.definition.get("steps", []))
                print(f"{row.realm:<10} {row.key:<24} {row.title} ({steps} steps, {row.topic})")
            if not rows:
                print("csdesk-server: no call scripts stored")
        return 0
    try:
        parsed = [scripts.read_file(Path(f)) for f in args.files]
    except scripts.ScriptFileError as exc:
        print(f"csdesk-server: {exc}", file=sys.stderr)
        return 2
    realms = ["production", "training"] if args.realm == "both" else [args.realm]
    with state.writes() as s:
        scripts.store_all(s, parsed, realms)
        s.commit()
    for item in parsed:
        print(f"csdesk-server: imported {item.flow.id!r} ({item.flow.title}) into {args.realm}")
    return 0


def _serve(args: argparse.Namespace, db: str) -> int:
    import uvicorn

    from csdesk.server.app import create_app
    from csdesk.server.stopping import StoppingServer

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    public = args.public_url or f"http://{args.host}:{args.port}"
    if args.simulate_customers is not None and not 0 < args.simulate_customers < float("inf"):
        print("csdesk-server: --simulate-customers needs a positive number", file=sys.stderr)
        return 2
    app = create_app(
        ServerConfig(
            db_url=db,
            public_base_url=public,
            simulate_customers_seconds=args.simulate_customers,
            data_dir=Path(args.data_dir) if args.data_dir else default_data_dir(),
        )
    )
    state = app.state.csdesk
    if args.seed_demo_if_empty and _seed_if_empty(state.engine) != 0:
        return 2
    print(
        f"csdesk-server: listening on http://{args.host}:{args.port} (database {shown_url(db)})",
        flush=True,
    )
    if args.exit_with_stdin:
        from csdesk.server.lifeline import exit_with_stdin

        exit_with_stdin()
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_keep_alive=75,
        access_log=False,
        # Parked long-polls answer at once when the server stops (StoppingServer); anything
        # else still running gets 3 s, then is cut (the desks simply poll again).
        timeout_graceful_shutdown=3,
    )
    _tune_garbage_collector()
    StoppingServer(config, state.notifier.stop).run()
    return 0


def _tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector's full passes off the long-poll path.

    What start-up built (modules, the app, SQLAlchemy's metadata: ~150k objects) is frozen
    out of them, and the first generation is collected every 20,000 allocations instead of
    700: with 2,000 long-polls parked (~250k objects more) the default thresholds ran about
    four full passes per wake-up of them all, each 70+ ms of CPU with the event loop stopped,
    and a push that came next paid for the one that was due. Most garbage here is acyclic
    and freed by reference counting regardless.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


def _seed_if_empty(engine: Engine) -> int:
    """The demo store into an empty database; one with users, teams, customers or
    conversations (data imported before the first administrator, say) is left alone (no demo
    data is generated or read for it)."""
    from sqlalchemy import select

    from csdesk.storage import models as m

    with engine.connect() as conn:
        for model in (m.User, m.Team, m.Customer, m.Conversation):
            if conn.scalar(select(model.id).limit(1)) is not None:
                return 0
    from csdesk.server.demo import seed_demo

    try:
        print(f"csdesk-server: {seed_demo(engine)}", flush=True)
    except ValueError as exc:
        print(f"csdesk-server: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
