"""Settings from environment variables (prefix SHOPPABLE_), with safe defaults for the demo."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET = "demo-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPPABLE_", extra="ignore")

    environment: str = Field("development", description="development | production")
    database_url: str = "sqlite+aiosqlite:///./var/shoppable.db"
    db_pool_size: int = Field(40, ge=1, le=500, description="PostgreSQL connections kept open per process")
    read_cache: bool = Field(True, description="Cache public product reads per process (PostgreSQL only)")
    read_cache_entries: int = Field(100_000, ge=1)
    secret_key: str = DEMO_SECRET
    var_dir: Path = Path("var")
    access_token_ttl_s: int = 60 * 60 * 24 * 30
    idempotency_ttl_hours: int = 24
    import_max_bytes: int = 200 * 1024 * 1024
    # Argon2 cost: the library defaults (64 MiB, t=3) in production; tests may lower them.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    sql_echo: bool = False

    def check_production_ready(self) -> None:
        if self.environment == "production" and self.secret_key == DEMO_SECRET:
            raise RuntimeError("SHOPPABLE_SECRET_KEY must be set to a real secret in production")


@lru_cache
def get_settings() -> Settings:
    return Settings()
