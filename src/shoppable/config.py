"""Settings from environment variables (prefix SHOPPABLE_), with safe defaults for the demo."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Request
from limits import parse as parse_rate
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEMO_SECRET = "demo-secret-change-me"
MIN_SECRET_BYTES = 32
ENVIRONMENTS = ("development", "production")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPPABLE_", extra="ignore")

    environment: Literal["development", "production"] = Field("development", description="development | production")
    database_url: str = "sqlite+aiosqlite:///./var/shoppable.db"
    db_pool_size: int = Field(40, ge=1, le=500, description="PostgreSQL connections kept open per process")
    read_cache: bool = Field(True, description="Cache public product reads per process (PostgreSQL only)")
    read_cache_entries: int = Field(100_000, ge=1)
    secret_key: str = Field(DEMO_SECRET, description="Signs attribution tokens and CSRF tokens: 32 bytes or more")
    previous_secret_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma-separated keys that still verify (never sign) during a rotation's grace period"
    )
    var_dir: Path = Path("var")
    access_token_ttl_s: int = 60 * 60 * 24 * 30
    session_ttl_days: int = Field(14, ge=1, le=365, description="A browser stays signed in this long")
    # Throttles, in the `limits` notation ("10/15 minutes"); counted in Redis when redis_url is set.
    signin_failures_per_account_ip: str = Field(
        "10/15 minutes", description="Wrong passwords for one email from one address (also the current password)"
    )
    signin_failures_per_ip: str = Field("100/15 minutes", description="Wrong passwords from one address, any email")
    signups_per_ip: str = Field("20/hour", description="Sign-up attempts from one address")
    clicks_per_ip: str = Field("120/minute", description="Link clicks from one address that may earn (per process)")

    @field_validator("signin_failures_per_account_ip", "signin_failures_per_ip", "signups_per_ip", "clicks_per_ip")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        parse_rate(value)  # a typo stops the start, never a throttle that silently is not there
        return value

    invitation_ttl_days: int = Field(14, ge=1, le=90, description="A shop invitation can be accepted this long")
    idempotency_ttl_hours: int = 24
    import_max_bytes: int = 200 * 1024 * 1024
    body_max_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest JSON or form body; uploads and imports have their own limits"
    )
    # Argon2 cost: the library defaults (64 MiB, t=3) in production; tests may lower them.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    sql_echo: bool = False
    # Orders and money (defaults follow TikTok Shop's published seller rules).
    platform_fee_bps: int = Field(600, ge=0, le=10_000, description="The platform's referral fee on each line")
    order_unpaid_ttl_minutes: int = Field(30, ge=1, description="Unpaid orders are cancelled after this")
    return_window_days: int = Field(15, ge=0, description="Buyers may ask for a return this long after delivery")
    payment_provider: str = Field("test", description="test: the built-in provider with Stripe's test tokens")
    # Affiliate (defaults follow TikTok Shop's published rules).
    attribution_window_days: int = Field(7, ge=1, le=90, description="A link click earns for this long")
    rate_cut_notice_days: int = Field(30, ge=0, description="A cut reaches creators already promoting this late")
    click_flush_ms: int = Field(250, ge=10, le=10_000, description="How often the click writer stores clicks")
    payout_provider: str = Field("test", description="test: the built-in payout provider")
    public_url: str = Field("http://127.0.0.1:8000", description="Where shoppers reach this server (links)")
    redis_url: str | None = Field(None, description="redis://host:6379/0: live rooms span processes through it")
    ws_ticket_ttl_s: int = Field(60, ge=5, le=600, description="A live room's socket ticket opens it this long")
    # Media uploads (content).
    media_max_bytes: int = Field(200 * 1024 * 1024, ge=1, description="Largest video or image upload")
    media_storage: str = Field("local", description="local: under var_dir/media/uploads; s3: an S3-compatible bucket")
    s3_endpoint_url: str = Field("", description="e.g. https://s3.eu-west-1.amazonaws.com or a MinIO address")
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # The outbox worker and timed jobs run inside `shoppable serve` unless a separate `shoppable worker` does.
    worker_in_process: bool = True
    worker_poll_s: float = Field(1.0, gt=0, description="How often the worker looks for new outbox events")
    worker_jobs_interval_s: float = Field(10.0, gt=0, description="How often it runs expiry and completion")

    @field_validator("environment", mode="before")
    @classmethod
    def _known_environment(cls, value: object) -> object:
        # "Production" is production; "prod", "staging" or a typo are errors, never a silent "development".
        name = value.strip().lower() if isinstance(value, str) else value
        if name not in ENVIRONMENTS:
            raise ValueError(f"SHOPPABLE_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, not {value!r}")
        return name

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(key.strip() for key in value.split(",") if key.strip())
        return value

    @property
    def verification_keys(self) -> tuple[str, ...]:
        """The current secret first, then the previous ones a rotation keeps verifying."""
        return (self.secret_key, *self.previous_secret_keys)

    @property
    def rate_cut_notice(self) -> timedelta:
        return timedelta(days=self.rate_cut_notice_days)

    def check_production_ready(self) -> None:
        """Production refuses a missing, short or demo secret (also among the previous keys)."""
        if self.environment != "production":
            return
        for name, key in [("SHOPPABLE_SECRET_KEY", self.secret_key)] + [
            ("SHOPPABLE_PREVIOUS_SECRET_KEYS", key) for key in self.previous_secret_keys
        ]:
            if key == DEMO_SECRET or len(key.encode()) < MIN_SECRET_BYTES:
                raise RuntimeError(
                    f"{name} must be a real secret of at least {MIN_SECRET_BYTES} bytes in production "
                    "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )


@lru_cache
def get_settings() -> Settings:
    return Settings()


def app_settings(request: Request) -> Settings:
    """The settings the running application was made with (tests may swap them on ``app.state``)."""
    settings: Settings = request.app.state.settings
    return settings
