"""Settings that must stop a server from starting: unknown environments, and weak secrets in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from shoppable.cli import app as cli
from shoppable.config import DEMO_SECRET, Settings

STRONG = "k" * 32


@pytest.mark.parametrize("name", ["prod", "staging", "", "developement", "production-eu"])
def test_an_unknown_environment_is_an_error_not_development(name: str) -> None:
    with pytest.raises(ValidationError, match="SHOPPABLE_ENVIRONMENT must be one of"):
        Settings(environment=name)


@pytest.mark.parametrize(("given", "parsed"), [("Production", "production"), (" DEVELOPMENT ", "development")])
def test_environment_names_ignore_case_and_spaces(given: str, parsed: str) -> None:
    assert Settings(environment=given).environment == parsed


@pytest.mark.parametrize("secret", ["", "x", DEMO_SECRET, "k" * 31, "é" * 15])
def test_production_refuses_a_missing_short_or_demo_secret(secret: str) -> None:
    with pytest.raises(RuntimeError, match="SHOPPABLE_SECRET_KEY must be a real secret of at least 32 bytes"):
        Settings(environment="Production", secret_key=secret).check_production_ready()


def test_production_refuses_a_weak_previous_key() -> None:
    settings = Settings(environment="production", secret_key=STRONG, previous_secret_keys="short")
    with pytest.raises(RuntimeError, match="SHOPPABLE_PREVIOUS_SECRET_KEYS"):
        settings.check_production_ready()


def test_production_starts_with_strong_secrets_and_development_with_the_demo_one() -> None:
    Settings(environment="production", secret_key=STRONG, previous_secret_keys="p" * 40).check_production_ready()
    Settings(environment="development", secret_key=DEMO_SECRET).check_production_ready()


def test_previous_keys_are_read_comma_separated_after_the_current_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPPABLE_SECRET_KEY", "now")
    monkeypatch.setenv("SHOPPABLE_PREVIOUS_SECRET_KEYS", " before , long-ago ,")
    assert Settings().verification_keys == ("now", "before", "long-ago")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHOPPABLE_ENVIRONMENT": "production", "SHOPPABLE_SECRET_KEY": ""}, "at least 32 bytes"),
        ({"SHOPPABLE_ENVIRONMENT": "prod"}, "SHOPPABLE_ENVIRONMENT must be one of"),
    ],
)
def test_serve_refuses_to_start_and_says_why(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
