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
