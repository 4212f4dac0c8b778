"""Identity tables: users, their bearer tokens, shop memberships, invitations to them and shop API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class AccessToken(Base):
    """An opaque bearer token; only its SHA-256 is stored, so a database leak reveals no usable token."""

    __tablename__ = "access_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ShopMembership(Base):
    """A user's role in a shop (owner or staff). The shop is referenced by id: shops belong to catalog."""

    __tablename__ = "shop_memberships"

    shop_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class ApiKey(Base):
    """A shop API key: a bearer token that acts for one shop. Stored hashed, shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(40), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key's first characters, to recognise it in a list; None for keys made before it was kept.
    prefix: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    # Moved at most once a minute (identity/service.py ``authenticate``), so it is that precise.
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ShopInvitation(Base):
    """An offer of a role in a shop, made to an email address: no membership exists until the person with that
    email accepts it (whether an account has the email is never told to the shop). Pending ones expire."""

    __tablename__ = "shop_invitations"
    __table_args__ = (
        Index("ix_shop_invitations_shop", "shop_id", "id"),
        Index("ix_shop_invitations_email", "email", "status"),
        # One open invitation per shop and email: inviting again updates it.
        Index(
            "uq_shop_invitations_pending",
            "shop_id",
            "email",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(320))  # normalised (identity.rules.normalise_email)
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))  # pending | accepted | declined | revoked
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]


class Creator(Base):
    """A user's creator profile: the persona that promotes products and earns commissions. One per user.

    It belongs to identity (not content) because the affiliate engine, below content, must know who the calling
    creator is and whether a buyer is the creator behind a link (docs/DECISIONS.md)."""

    __tablename__ = "creators"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    handle: Mapped[str] = mapped_column(String(30), unique=True)  # lower case
    display_name: Mapped[str] = mapped_column(String(100))
    bio: Mapped[str] = mapped_column(String(500), default="")
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime]


class WebSession(Base):
    """A browser session: the cookie holds an opaque secret, only its SHA-256 is stored; revocable like a token."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SavedAddress(Base):
    """A shipping address a user keeps for checkout (the shape of an order's ``shipping_address``)."""

    __tablename__ = "saved_addresses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
