"""API shapes of identity."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from shoppable.kit.urls import WebUrl


class UserCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=200)


class UserRead(BaseModel):
    id: str
    email: str
    name: str


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class CreatorCreate(BaseModel):
    handle: str = Field(min_length=1, max_length=31, description="1 to 30 of a-z, 0-9, _ and . (case-insensitive)")
    display_name: str = Field(min_length=1, max_length=100)
    bio: str = Field("", max_length=500)
    avatar_url: WebUrl | None = Field(None, description="http(s) URL, at most 2,048 characters")


class CreatorRead(BaseModel):
    id: str
    user_id: str
    handle: str
    display_name: str
    bio: str
    avatar_url: str | None
    created_at: datetime


class InvitationRead(BaseModel):
    """An invitation as its shop sees it: the email it went to, never whether (or whose) account has it."""

    id: str
    email: str
    role: Literal["owner", "staff"]
    status: Literal["pending", "accepted", "declined", "revoked", "expired"] = Field(
        description="`expired`: still unanswered when `expires_at` passed"
    )
    created_at: datetime
    expires_at: datetime
    responded_at: datetime | None = Field(description="When it was accepted, declined or revoked")


class InvitationPage(BaseModel):
    items: list[InvitationRead]
    next_cursor: str | None


class InvitingShop(BaseModel):
    id: str
    name: str


class MyInvitation(BaseModel):
    """An invitation waiting for the caller's answer (made to the caller's email)."""

    id: str
    shop: InvitingShop
    role: Literal["owner", "staff"]
    created_at: datetime
    expires_at: datetime


class MyInvitationPage(BaseModel):
    items: list[MyInvitation]
    next_cursor: str | None


class ApiKeySummary(BaseModel):
    """A shop API key as listed: never the key itself."""

    id: str
    name: str
    prefix: str | None = Field(
        description="The key's first characters, to recognise it; null for keys made before prefixes were kept"
    )
    created_at: datetime
    last_used_at: datetime | None = Field(description="To the minute: moved at most once a minute")
    revoked_at: datetime | None


class ApiKeyPage(BaseModel):
    items: list[ApiKeySummary]
    next_cursor: str | None
