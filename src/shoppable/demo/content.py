"""The demo's content, made through the real services: two creators with showcases and a collection, short
videos with product anchors and tiles, some views and likes, and a purchase through an anchor.

Demo videos are generated on this machine with ffmpeg when it is installed (Debian's `ffmpeg` package: a test
pattern with the product's name, a few seconds long) and stored like any upload; without ffmpeg each video is its
poster image, and the seed says so. Nothing is downloaded."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

from shoppable.affiliate import links
from shoppable.catalog import service as catalog
from shoppable.catalog import shops
from shoppable.config import Settings
from shoppable.content import media, showcase, videos
from shoppable.content.storage import MediaStorage, storage_from_settings
from shoppable.demo.placeholders import write_placeholder
from shoppable.identity import service as identity
from shoppable.identity.rules import CallingCreator
from shoppable.kit.db import Database

log = logging.getLogger("shoppable.demo")

_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
_DURATION_S = 6


def _render(target: Path, title: str, hue: int) -> bool:
    """A short vertical MP4 with the title on a moving test pattern; False when ffmpeg is not installed."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return False
    text = "".join(ch for ch in title[:28] if ch.isalnum() or ch in " -&")
    drawn = (
        f",drawtext=fontfile={_FONT}:text='{text}':fontcolor=white:fontsize=28:x=(w-tw)/2:y=h-120"
        if _FONT.exists()
        else ""
    )
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=360x640:d={_DURATION_S}:r=24"]
        + ["-vf", f"hue=h={hue}{drawn}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "32"]
        + ["-pix_fmt", "yuv420p", "-movflags", "+faststart", str(target)],
        check=True,
        timeout=60,
    )
    return True


async def _publish(
    database: Database,
    settings: Settings,
    storage: MediaStorage,
    creator: CallingCreator,
    product: dict[str, Any],
    number: int,
) -> str:
    title = product["title"]
    poster = write_placeholder(settings.var_dir / "media", f"video-{creator.handle}-{number}", title)
    target = settings.var_dir / "demo" / f"video-{creator.handle}-{number}.mp4"
    target.parent.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {
        "title": f"{title}: first look",
        "description": f"@{creator.handle} tries {title}.",
        "duration_s": _DURATION_S,
        "poster_url": poster,
        "anchors": [{"product_id": product["id"], "start_s": 1, "end_s": _DURATION_S, "label": "Shop it"}],
        "tiles": [
            {"kind": "promo", "text": "Free shipping this week", "start_s": 0, "end_s": 3},
            {"kind": "showcase", "text": title[:60], "start_s": 3, "end_s": _DURATION_S, "product_id": product["id"]},
        ],
    }
    async with database.session() as session:
        if _render(target, title, hue=(number * 47) % 360):
            data = target.read_bytes()
            stored = await media.store_file(
                session,
                storage,
                owner_id=creator.user_id,
                path=target,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            body["media_id"] = stored["id"]
        else:
            body["media_url"] = poster
        video = await videos.create_video(session, creator, body, notice=settings.rate_cut_notice)
    return str(video["id"])


async def _products(database: Database, slug: str, count: int) -> list[dict[str, Any]]:
    async with database.session(write=False) as session:
        shop = await shops.get_shop_by_slug(session, slug)
        found, _ = await catalog.search_products(session, shop_id=shop.id, sort="newest", limit=count)
    return found


async def seed_content(
    database: Database, settings: Settings, *, ana: str, leo: str, fans: list[str]
) -> tuple[list[str], list[str]]:
    """Showcases, a collection and videos for @ana (plans are already open to her) and @leo: the videos' ids,
    and the products in @ana's showcase."""
    storage = storage_from_settings(settings)
    notice = settings.rate_cut_notice
    url = settings.public_url
    packt = await _products(database, "packt-home", 6)
    async with database.session() as session:
        profile = await identity.creator_of_user(session, ana)
        assert profile is not None
        ana_creator = CallingCreator(ana, profile.id, profile.handle)
        leo_profile = await identity.create_creator(
            session, user_id=leo, handle="leo", display_name="Leo Park", bio="Desk setups and small luxuries.",
            avatar_url=None,
        )  # fmt: skip
        leo_creator = CallingCreator(leo, leo_profile.id, leo_profile.handle)
        shared, _ = await links.creator_links(session, ana_creator.creator_id, public_url=url, limit=50, cursor=None)
        for product_id in [link["product_id"] for link in shared] + [p["id"] for p in packt[:2]]:
            await showcase.add(session, ana_creator, product_id, public_url=url, notice=notice)
        for product in packt[2:6]:
            await showcase.add(session, leo_creator, product["id"], public_url=url, notice=notice)
        ana_items = (await showcase.read(session, "ana", public_url=url, notice=notice))["items"]
        ana_products = [item["product"] for item in ana_items]
        await showcase.create_collection(
            session,
            ana_creator,
            title="Ana's home edit",
            description="The pieces I actually use every day.",
            product_ids=[p["id"] for p in ana_products[:3]],
            public_url=url,
            notice=notice,
        )
    if shutil.which("ffmpeg") is None:
        log.warning("ffmpeg is not installed: the demo videos are their poster images (apt install ffmpeg)")
    made = [
        await _publish(database, settings, storage, creator, product, number)
        for creator, products in ((ana_creator, ana_products[:4]), (leo_creator, packt[2:6]))
        for number, product in enumerate(products)
    ]
    async with database.session() as session:
        for number, video_id in enumerate(made):
            for fan in fans[: number % 3 + 1]:
                await videos.record_view(session, video_id, fan)
                if number % 2 == 0:
                    await videos.like(session, video_id, fan)
    return made, [p["id"] for p in ana_products]
