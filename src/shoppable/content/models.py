"""Content tables: follows, showcase entries and collections, uploaded media, videos with their anchors and
tiles, and who viewed or liked what. Creators, products and users are referenced by id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (Index("ix_follows_creator", "creator_id"),)

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime]


class ShowcaseEntry(Base):
    __tablename__ = "showcase_entries"
    __table_args__ = (Index("ix_showcase_entries_order", "creator_id", "position"),)

    creator_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (Index("ix_collections_creator", "creator_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime]


class CollectionProduct(Base):
    __tablename__ = "collection_products"

    collection_id: Mapped[str] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Media(Base):
    """An uploaded video or image: its type sniffed from its bytes, stored under ``storage_key``."""

    __tablename__ = "media"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # video, image
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage: Mapped[str] = mapped_column(String(16))
    storage_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_creator", "creator_id", "id"),
        Index("ix_videos_feed", "rank", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    media_url: Mapped[str] = mapped_column(String(2048))
    media_id: Mapped[str | None] = mapped_column(String(40))
    poster_url: Mapped[str | None] = mapped_column(String(2048))
    duration_s: Mapped[int] = mapped_column(Integer)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    rank: Mapped[float] = mapped_column(Double)  # the feed's order (content/rules.py: feed_rank)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Anchor(Base):
    """A product pinned to a moment of a video."""

    __tablename__ = "video_anchors"
    __table_args__ = (Index("ix_video_anchors_product", "product_id", "video_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(40))
    start_s: Mapped[int] = mapped_column(Integer)
    end_s: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)


class Tile(Base):
    """A promo tile (a sale or coupon alert) or a showcase tile (a product card) over part of a video."""

    __tablename__ = "video_tiles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(200))
    start_s: Mapped[int] = mapped_column(Integer)
    end_s: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str | None] = mapped_column(String(40))
    coupon_code: Mapped[str | None] = mapped_column(String(64))
    discount_bps: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class VideoView(Base):
    __tablename__ = "video_views"

    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True)
    viewer: Mapped[str] = mapped_column(String(64), primary_key=True)  # a user id, or a keyed visitor hash
    created_at: Mapped[datetime]


class VideoLike(Base):
    __tablename__ = "video_likes"

    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime]
