"""``create_app(config)``: the server, built fresh for each process and each test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from csdesk import __version__
from csdesk.domain.attachment_limits import MAX_UPLOAD_BYTES
from csdesk.server import errors
from csdesk.server.admin.routes import router as admin_router
from csdesk.server.attachments import links as attachment_links
from csdesk.server.attachments.routes import router as attachments_router
from csdesk.server.attachments.sweep import UploadSweeper
from csdesk.server.attachments.upload import UPLOAD_PATH
from csdesk.server.attachments.upload import router as upload_router
from csdesk.server.auth.routes import router as auth_router
from csdesk.server.channels.runtime import ChannelRuntime
from csdesk.server.channels.template_routes import router as templates_router
from csdesk.server.channels.webhooks import router as webhooks_router
from csdesk.server.chat.routes import CORS as CHAT_CORS
from csdesk.server.chat.routes import ChatRuntime
from csdesk.server.chat.routes import router as chat_router
from csdesk.server.commerce.routes import admin as stores_admin_router
from csdesk.server.commerce.routes import webhooks as store_webhooks_router
from csdesk.server.commerce.runtime import StoreRuntime
from csdesk.server.config import ServerConfig
from csdesk.server.crm.backfill import FiguresBackfill
from csdesk.server.edge import bad_text, body_cap, outage
from csdesk.server.feed import log as feed_log
from csdesk.server.feed.notifier import listen_postgres
from csdesk.server.floor.colleagues import DemoColleagues
from csdesk.server.floor.presence import DeskSeen, FloorSweeper
from csdesk.server.floor.routes import router as floor_router
from csdesk.server.kpis.routes import router as kpis_router
from csdesk.server.outreach.scanner import OutreachScanner
from csdesk.server.presence.routes import router as presence_router
from csdesk.server.qa.routes import router as qa_router
from csdesk.server.state import ServerState
from csdesk.server.sync.routes import router as sync_router
from csdesk.server.sync.snooze import SnoozeWaker
from csdesk.storage.migrate import upgrade


def _psycopg_dsn(db_url: str) -> str:
    """A libpq DSN from a SQLAlchemy URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def create_app(config: ServerConfig, *, migrate: bool = True) -> FastAPI:
    state = ServerState.build(config)
    if migrate:
        upgrade(state.engine)
    with state.writes() as s:
        feed_log.ensure_counter(s)
        s.commit()
    from csdesk.server.training.scenarios import install_defaults

    install_defaults(state)  # the bundled training scenarios, published to every desk
    attachment_links.install(state)  # mutation handlers and senders reach the file store
    channels = ChannelRuntime(state)
    store_runtime = StoreRuntime(state)
    upload_sweeper = UploadSweeper(state)
    desks_seen = DeskSeen()  # the pulls note who is connected; the floor sweeper writes it

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.notifier.bind(asyncio.get_running_loop(), state.read_head())
        listener = None
        if config.listen_notify and state.engine.dialect.name == "postgresql":
            listener = asyncio.create_task(
                listen_postgres(
                    _psycopg_dsn(config.db_url),
                    state.notifier,
                    state.read_head,
                    config.backstop_seconds,
                    auth=state.auth,
                )
            )
        simulator = None
        colleagues: DemoColleagues | None = None
        if config.simulate_customers_seconds:
            from csdesk.server.simulator import CustomerSimulator

            simulator = CustomerSimulator.start(state)
            colleagues = DemoColleagues(state, desks_seen)  # the demo floor stays connected
            colleagues.start()
        from csdesk.server.languages.detect import warm_up

        warm_up()  # lingua's models, before the first customer message needs them
        await channels.start()
        await store_runtime.start()
        upload_sweeper.start()
        waker = SnoozeWaker(state, config.snooze_wake_seconds)
        waker.start()
        outreach_scanner = OutreachScanner(state)
        outreach_scanner.start()
        figures = FiguresBackfill(state)
        figures.start()
        floor_sweeper = FloorSweeper(
            state, desks_seen, config.floor_sweep_seconds, config.agent_offline_seconds
        )
        floor_sweeper.start()
        from csdesk.server.sla.escalation import EscalationScanner

        sla_scanner = EscalationScanner(state)  # about-to-breach and breached (docs/sla.md)
        sla_scanner.start()
        # --- side conversations (docs/side-conversations.md): their mail goes out ---
        from csdesk.server.side.mailer import SideMailer

        side_mailer = SideMailer(state, channels.settings)
        side_mailer.start()
        from csdesk.server.feed.head_watch import FeedHeadWatch
        from csdesk.server.wal_checkpoint import WalCheckpointer

        checkpointer = WalCheckpointer(state)
        head_watch = FeedHeadWatch(state)
        if checkpointer.path is not None:
            checkpointer.start()  # SQLite's WAL copied outside the pushes' write lock
            head_watch.start()  # other processes' commits wake the desks (no NOTIFY here)
        try:
            yield
        finally:
            await side_mailer.stop()
            await head_watch.stop()
            await checkpointer.stop()
            await sla_scanner.stop()
            await floor_sweeper.stop()
            await figures.stop()
            await outreach_scanner.stop()
            await waker.stop()
            await upload_sweeper.stop()
            await store_runtime.stop()
            await channels.stop()
            if simulator is not None:
                await simulator.stop()
            if colleagues is not None:
                await colleagues.stop()
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            reader = getattr(_app.state, "page_reader", None)
            if reader is not None:
                reader.close()  # the connections its threads keep
            state.engine.dispose()

    app = FastAPI(
        title="csdesk sync server",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.csdesk = state
    app.state.channels = channels
    app.state.stores = store_runtime
    app.state.chat = ChatRuntime(state)
    app.state.desks_seen = desks_seen
    errors.install(app)

    def body_limit(path: str) -> int:
        # An agent's file upload has its own, larger cap (it streams the file to disk).
        return MAX_UPLOAD_BYTES if path == UPLOAD_PATH else config.max_body_bytes

    app.add_middleware(
        bad_text.TextGuard,
        skip_body=lambda path: path == UPLOAD_PATH or path.startswith("/webhooks/"),
        clean_body=lambda path: path.startswith("/chat/api/"),
        headers_for=lambda path: CHAT_CORS if path.startswith("/chat/") else {},
    )
    body_cap.install(app, body_limit)  # outermost: before any route reads a byte

    outage.install(app)

    @app.get("/healthz", tags=["meta"], responses={503: {"description": "a part is down"}})
    async def healthz() -> JSONResponse:
        """``status`` ok, or 503 with the part that is down (``database``)."""
        return await outage.health(state.engine, version=__version__, head=state.notifier.head)

    app.include_router(auth_router)
    app.include_router(sync_router)
    app.include_router(admin_router)
    app.include_router(attachments_router)
    app.include_router(upload_router)
    app.include_router(presence_router)
    app.include_router(webhooks_router)
    from csdesk.server.channels.callout_hooks import router as callout_router

    app.include_router(callout_router)
    app.include_router(chat_router)
    app.include_router(templates_router)
    app.include_router(store_webhooks_router)
    app.include_router(stores_admin_router)
    app.include_router(kpis_router)
    from csdesk.server.training.routes import router as training_router

    app.include_router(training_router)
    from csdesk.server.surveys.routes import SurveyRuntime
    from csdesk.server.surveys.routes import router as surveys_router

    app.state.surveys = SurveyRuntime(state)
    app.include_router(surveys_router)
    # --- surveys inline (issue 12): the chat widget's rating, docs/surveys.md ---
    from csdesk.server.chat.rating_routes import router as chat_rating_router

    app.include_router(chat_rating_router)
    # --- end surveys inline ---
    app.include_router(qa_router)
    app.include_router(floor_router)
    # Routing rules' dry run (issue 14, docs/routing.md).
    from csdesk.server.routing.routes import router as routing_router

    app.include_router(routing_router)
    from csdesk.server.languages.routes import router as languages_router

    app.include_router(languages_router)
    from csdesk.server.sla.routes import router as sla_router

    app.include_router(sla_router)  # the SLA policy and team hours (docs/sla.md)
    # The knowledge base (issue 14, docs/knowledge-base.md): staff search, public pages.
    from csdesk.server.kb.pages import router as kb_pages_router
    from csdesk.server.kb.routes import router as kb_router

    app.include_router(kb_router)
    app.include_router(kb_pages_router)
    return app
