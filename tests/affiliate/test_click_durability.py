"""A real server process killed with SIGKILL keeps every click older than the writer's flush interval."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import httpx
from sqlalchemy import func, select

from shoppable.affiliate.models import Click
from shoppable.kit.db import Database
from tests.helpers import BROWSER, become_creator, link_for, list_product, open_plan, register


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_killed_server_loses_no_click_older_than_the_flush_interval(
    client: httpx.AsyncClient, database: Database
) -> None:
    listing = await list_product(client, (1000, 1))
    await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=1000)
    creator = await register(client)
    await become_creator(client, creator)
    link = await link_for(client, creator, listing.product["id"])
    port = _free_port()
    env = dict(
        os.environ,
        SHOPPABLE_DATABASE_URL=os.environ["SHOPPABLE_TEST_DATABASE_URL"],
        SHOPPABLE_CLICK_FLUSH_MS="100",
        SHOPPABLE_WORKER_IN_PROCESS="false",
    )
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shoppable.cli", "serve", "--port", str(port), "--no-access-log",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"User-Agent": BROWSER}) as http:
            for _ in range(100):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            answers = [await http.get(f"/l/{link['code']}") for _ in range(40)]
        assert {a.status_code for a in answers} == {302}
        await asyncio.sleep(1.0)  # ten flush intervals
    finally:
        server.send_signal(signal.SIGKILL)
        await server.wait()
    async with database.session(write=False) as session:
        stored = await session.scalar(select(func.count()).select_from(Click).where(Click.link_id == link["id"]))
    assert stored == 40
