"""API shapes of creator profiles, the showcase, collections, media and videos."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shoppable.kit.urls import WebUrl


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CreatorProfile(BaseModel):
    id: str
    handle: str
    display_name: str
    bio: str
    avatar_url: str | None
    followers: int
    video_count: int
    following: bool | None = Field(None, description="Whether the caller follows this creator (signed in only)")
    created_at: str


class FollowRead(BaseModel):
    handle: str
    following: bool
    followers: int


class ShowcaseAdd(_In):
    product_id: str = Field(min_length=1, max_length=40)


class ShowcaseItem(BaseModel):
    product: dict[str, Any] = Field(description="The product as GET /products/{id} gives it")
    link: dict[str, Any] | None = Field(description="The creator's affiliate link (None for their own shop's)")
    source: dict[str, str] = Field(description="What to put on a cart line bought from here")


class ShowcaseRead(BaseModel):
    creator_id: str
    handle: str
    items: list[ShowcaseItem]


class CollectionCreate(_In):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    product_ids: list[str] = Field(min_length=1, max_length=100)


class CollectionRead(BaseModel):
    id: str
    creator: dict[str, str]
    title: str
    description: str
    share_url: str
    items: list[ShowcaseItem]
    created_at: str


class MediaRead(BaseModel):
    id: str
    url: str
    kind: Literal["video", "image"]
    content_type: str
    size: int
    created_at: str


class AnchorIn(_In):
    product_id: str = Field(min_length=1, max_length=40)
    start_s: int = Field(ge=0, le=36_000)
    end_s: int | None = Field(None, ge=1, le=36_000, description="Default: the end of the video")
    label: str | None = Field(None, max_length=80)


class TileIn(_In):
    kind: Literal["promo", "showcase"]
    text: str = Field(min_length=1, max_length=200)
    start_s: int = Field(ge=0, le=36_000)
    end_s: int | None = Field(None, ge=1, le=36_000)
    product_id: str | None = Field(None, max_length=40, description="Required for a showcase tile")
    coupon_code: str | None = Field(None, max_length=64, description="Promo tiles: a code to announce")
    discount_bps: int | None = Field(None, ge=1, le=9_000, description="Promo tiles: a discount to announce")

    @model_validator(mode="after")
    def _promo_only(self) -> TileIn:
        if self.kind == "showcase" and (self.coupon_code or self.discount_bps):
            raise ValueError("coupon_code and discount_bps belong on promo tiles")
        return self


class VideoCreate(_In):
    title: str = Field(min_length=1, max_length=200)
    media_url: WebUrl | None = Field(None, description="An external video (http or https); or give media_id")
    media_id: str | None = Field(None, max_length=40, description="A video uploaded with POST /api/v1/media")
    poster_url: WebUrl | None = None
    duration_s: int = Field(ge=1, le=36_000)
    description: str = Field("", max_length=5000)
    anchors: list[AnchorIn] = Field(default_factory=list, max_length=20)
    tiles: list[TileIn] = Field(default_factory=list, max_length=20)


class VideoUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    poster_url: WebUrl | None = None
    anchors: list[AnchorIn] | None = Field(None, max_length=20)
    tiles: list[TileIn] | None = Field(None, max_length=20)


class VideoRead(BaseModel):
    id: str
    creator: dict[str, Any]
    title: str
    description: str
    media_url: str
    poster_url: str | None
    duration_s: int
    views: int
    likes: int
    anchors: list[dict[str, Any]]
    tiles: list[dict[str, Any]]
    created_at: str
    updated_at: str


class VideoPage(BaseModel):
    items: list[VideoRead]
    next_cursor: str | None


class Engagement(BaseModel):
    video_id: str
    views: int
    likes: int
    counted: bool | None = None
    liked: bool | None = None
