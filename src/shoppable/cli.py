"""The ``shoppable`` command: serve, worker, migrate, demo, import, ledger verify."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from shoppable.config import Settings, get_settings

app = typer.Typer(help="Shoppable: social commerce you run yourself.", no_args_is_help=True)
console = Console()


def _alembic_config() -> object:
    from alembic.config import Config

    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (base / "alembic.ini").is_file() and (base / "migrations").is_dir():
            return Config(str(base / "alembic.ini"))
    raise typer.BadParameter("alembic.ini not found: run from the Shoppable source directory")


def _ready_settings() -> Settings:
    """The settings a server or worker starts with, or a clear refusal (exit 2) naming what is wrong."""
    from pydantic import ValidationError

    try:
        settings = Settings()
        settings.check_production_ready()
    except ValidationError as error:
        problems = "; ".join(str(problem["msg"]).removeprefix("Value error, ") for problem in error.errors())
        console.print(f"[red]Cannot start:[/] {problems}")
        raise typer.Exit(2) from None
    except RuntimeError as error:
        console.print(f"[red]Cannot start:[/] {error}")
        raise typer.Exit(2) from None
    return settings


@app.command()
def migrate() -> None:
    """Bring the database (SHOPPABLE_DATABASE_URL) up to the newest schema."""
    from alembic import command

    command.upgrade(_alembic_config(), "head")  # type: ignore[arg-type]
    console.print(f"[green]Database migrated[/] ({get_settings().database_url.split('@')[-1]})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request")] = True,
) -> None:
    """Serve the API (and pages) with uvicorn."""
    import uvicorn

    _ready_settings()

    uvicorn.run(
        "shoppable.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level="info",
        proxy_headers=True,
        access_log=access_log,
        server_header=False,  # no version to fingerprint, and a header less on every response
        # Live rooms send each event's bytes to every viewer: compressing per socket would redo the work per
        # viewer (and keep a compressor's memory for each), so WebSocket messages go uncompressed.
        ws_per_message_deflate=False,
    )


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve once seeded")] = True,
) -> None:
    """Migrate, seed the demo shops through the real importers, print the demo accounts, serve."""
    from shoppable.demo.seed import ACCOUNTS, seed_demo
    from shoppable.kit.db import Database

    migrate()
    settings = get_settings()

    async def run() -> bool:
        database = Database(settings.database_url)
        try:
            return await seed_demo(database, settings)
        finally:
            await database.dispose()

    with console.status("Seeding the demo (importing the demo shops)..."):
        created = asyncio.run(run())
    console.print("[green]Demo seeded[/]" if created else "Demo already seeded")
    table = Table(title="Demo accounts (sign in at POST /api/v1/auth/token)")
    for column in ("email", "password", "who"):
        table.add_column(column)
    for account in ACCOUNTS:
        table.add_row(account.email, account.password, account.role)
    console.print(table)
    base = f"http://{host}:{port}"
    console.print(f"Shop: {base}/   API docs: {base}/docs   Search: {base}/api/v1/products?q=lamp")
    if serve_after:
        serve(host=host, port=port, workers=1, reload=False, access_log=True)


@app.command("import")
def import_products(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Export file")],
    shop: Annotated[str, typer.Option("--shop", help="Shop slug")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="shopify_csv | shopify_json | woocommerce_csv (sniffed if absent)"),
    ] = None,
) -> None:
    """Import products from a Shopify CSV/JSON or WooCommerce CSV export into a shop."""
    from shoppable.catalog import imports, shops
    from shoppable.kit.db import Database
    from shoppable.kit.errors import ShoppableError

    settings = get_settings()
    size = file.stat().st_size

    async def run() -> imports.ImportReport:
        database = Database(settings.database_url)
        try:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=console,
            ) as progress:
                task = progress.add_task(f"Importing {file.name}", total=size)
                async with database.session() as session:
                    target = await shops.get_shop_by_slug(session, shop)
                    report = await imports.import_file(
                        session,
                        shop_id=target.id,
                        path=file,
                        fmt=imports.detect_format(file, file.name, fmt),
                        actor="cli",
                        on_progress=lambda done: progress.update(task, completed=done),
                    )
                    progress.update(task, completed=size)
                return report
        finally:
            await database.dispose()

    try:
        report = asyncio.run(run())
    except ShoppableError as error:
        console.print(f"[red]Import failed:[/] {error.detail}")
        sys.exit(1)
    console.print(
        f"[green]Imported[/] {report.rows_total} rows: {report.created} products created, "
        f"{report.updated} updated, {len(report.skipped)} rows skipped"
    )
    for skipped in report.skipped:
        console.print(f"  row {skipped['row']} ({skipped['handle'] or '-'}): {skipped['reason']}")
    for warning in report.warnings:
        console.print(f"  [yellow]warning[/] row {warning['row']} ({warning['handle']}): {warning['message']}")


@app.command("rebuild-rollups")
def rebuild_rollups(
    shop: Annotated[str | None, typer.Option("--shop", help="One shop's slug; every shop when absent")] = None,
) -> None:
    """Recompute the dashboards' rollups from the orders (after an upgrade to them, or to check them)."""
    from sqlalchemy import select

    from shoppable.analytics import rollup
    from shoppable.catalog.models import Shop
    from shoppable.kit.db import Database

    settings = get_settings()

    async def run() -> tuple[int, int]:
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                query = select(Shop.id) if shop is None else select(Shop.id).where(Shop.slug == shop)
                shop_ids = list(await session.scalars(query.order_by(Shop.id)))
            orders = 0
            for shop_id in shop_ids:  # a transaction per shop: a large platform does not hold one for all
                async with database.session() as session:
                    orders += await rollup.rebuild(session, shop_id)
            return len(shop_ids), orders
        finally:
            await database.dispose()

    shops_done, orders = asyncio.run(run())
    if shop is not None and shops_done == 0:
        console.print(f"[red]No shop has the slug {shop!r}.[/]")
        sys.exit(1)
    console.print(f"[green]Rebuilt[/] the rollups of {shops_done} shops from {orders} orders")


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run one round and exit")] = False,
) -> None:
    """Dispatch outbox events and run timed jobs (unpaid orders expire, delivered orders complete)."""
    import signal

    from shoppable.app import payment_provider
    from shoppable.kit.db import Database
    from shoppable.worker import Worker

    settings = _ready_settings()

    async def run() -> None:
        database = Database(settings.database_url, pool_size=2)
        worker = Worker(database, settings, payment_provider(settings))
        try:
            if once:
                done = await worker.run_once()
                console.print(
                    f"dispatched {done.dispatched} event(s), expired {done.expired} unpaid order(s), "
                    f"completed {done.completed} order(s)"
                )
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            console.print("[green]Worker running[/] (Ctrl+C stops it)")
            await worker.run_forever(stop)
        finally:
            await database.dispose()

    asyncio.run(run())


ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Prove the books: every transaction balances and every balance is the sum of its entries (exit 1 if not)."""
    from shoppable.kit.db import Database
    from shoppable.ledger import service as ledger

    async def run() -> list[str]:
        database = Database(get_settings().database_url)
        try:
            async with database.session(write=False) as session:
                return await ledger.verify(session)
        finally:
            await database.dispose()

    problems = asyncio.run(run())
    for problem in problems:
        console.print(f"[red]✗[/] {problem}")
    if problems:
        console.print(f"[red]The ledger does not verify: {len(problems)} problem(s).[/]")
        sys.exit(1)
    console.print("[green]The ledger verifies:[/] every transaction balances, every balance matches its entries.")


if __name__ == "__main__":  # pragma: no cover
    app()
