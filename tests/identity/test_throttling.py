"""Sign-in, sign-up and password-change throttling through HTTP, on an application with the default limits (the
shared test app has generous ones) and a throttle whose clock the test moves: 429 with ``Retry-After`` past a
limit, checked before the password, per (account, address) and per address, never a lockout of the account."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from shoppable.app import create_app
from shoppable.config import Settings, get_settings
from shoppable.kit.db import Database
from shoppable.kit.throttle import Throttle
from tests.helpers import REDIS_URL, Account, register, skip_unless_redis, unique
from tests.web.session_helpers import PAGE_PASSWORD, csrf_of, sign_up_page

THROTTLES = ("signin_failures_per_account_ip", "signin_failures_per_ip", "signups_per_ip", "clicks_per_ip")
PASSWORD = "correct horse"
Browser = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


class Clock:
    def __init__(self) -> None:
        self.now = math.floor(time.time() / 3600) * 3600 + 1.0  # just after an hour (and 15 minutes) starts

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def strict(database: Database) -> FastAPI:
    """An application with the default throttles (its lifespan is not run: nothing here needs it). It shares the
    test database, so it must leave the database's read cache alone: the shared app's cache is the live one."""
    defaults = {name: Settings.model_fields[name].default for name in THROTTLES}
    settings = get_settings().model_copy(update={**defaults, "read_cache": False})
    return create_app(settings, database=database)


@pytest.fixture
async def clock(strict: FastAPI) -> AsyncIterator[Clock]:
    """A fresh throttle for each test, on a clock it moves."""
    moved = Clock()
    strict.state.throttle = Throttle.in_memory(clock=moved)
    yield moved
    await strict.state.throttle.aclose()


def _clients(app: FastAPI, headers: dict[str, str]) -> Browser:
    @asynccontextmanager
    async def client(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as http:
            yield http

    return client


@pytest.fixture
def from_address(strict: FastAPI) -> Browser:
    """An API client whose requests come from ``address``."""
    return _clients(strict, {})


@pytest.fixture
def browser(strict: FastAPI) -> Browser:
    """A browser (its own cookie jar, asking for pages) at ``address``."""
    return _clients(strict, {"accept": "text/html"})


async def _sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


def _assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "rate_limited"
    wait = response.headers["retry-after"]
    assert wait.isdigit(), wait
    return int(wait)


async def _account(client: httpx.AsyncClient) -> Account:
    return await register(client, password=PASSWORD)


async def test_the_eleventh_wrong_password_is_429_even_with_the_right_one_but_not_elsewhere(
    clock: Clock, from_address: Browser
) -> None:
    async with from_address("198.51.100.1") as attacker, from_address("198.51.100.2") as owner:
        account = await _account(owner)
        for _ in range(10):
            assert (await _sign_in(attacker, account.email, "wrong-password")).status_code == 401
        refused = await _sign_in(attacker, account.email, "wrong-password")
        assert _assert_throttled(refused) == 900  # until this 15-minute window ends
        assert "Try again in 15 minutes" in refused.json()["detail"]
        # Checked before the password: the right one from the throttled pair is refused too...
        _assert_throttled(await _sign_in(attacker, account.email, PASSWORD))
        # ...while the account's owner, elsewhere, signs in (no lockout), and the attacker's other emails are
        # not throttled by this pair.
        assert (await _sign_in(owner, account.email, PASSWORD)).status_code == 200
        assert (await _sign_in(attacker, unique("else") + "@example.com", "x")).status_code == 401


async def test_the_101st_failure_from_one_address_across_accounts_is_429(clock: Clock, from_address: Browser) -> None:
    async with from_address("198.51.100.3") as guesser, from_address("198.51.100.4") as neighbour:
        account = await _account(neighbour)
        emails = [f"{unique('nobody')}@example.com" for _ in range(10)]  # unknown emails fail as any other
        for email in emails:
            for _ in range(10):
                assert (await _sign_in(guesser, email, "wrong-password")).status_code == 401
        refused = await _sign_in(guesser, account.email, PASSWORD)
        _assert_throttled(refused)
        assert "from your network" in refused.json()["detail"]
        assert (await _sign_in(neighbour, account.email, PASSWORD)).status_code == 200


async def test_once_the_wait_has_passed_the_pair_signs_in_again(clock: Clock, from_address: Browser) -> None:
    async with from_address("198.51.100.5") as http:
        account = await _account(http)
        clock.now += 600  # two thirds into the window: the failures will weigh in the next one
        for _ in range(10):
            await _sign_in(http, account.email, "wrong-password")
        wait = _assert_throttled(await _sign_in(http, account.email, PASSWORD))
        assert wait == 300
        clock.now += wait - 1
        _assert_throttled(await _sign_in(http, account.email, PASSWORD))
        clock.now += 1
        assert (await _sign_in(http, account.email, PASSWORD)).status_code == 200


async def test_the_right_password_forgives_the_pairs_failures(clock: Clock, from_address: Browser) -> None:
    async with from_address("198.51.100.6") as http:
        account = await _account(http)
        for _ in range(9):
            await _sign_in(http, account.email, "wrong-password")
        assert (await _sign_in(http, account.email, PASSWORD)).status_code == 200
        for _ in range(10):
            assert (await _sign_in(http, account.email, "wrong-password")).status_code == 401
        _assert_throttled(await _sign_in(http, account.email, "wrong-password"))


async def test_sign_ups_are_throttled_per_address(clock: Clock, from_address: Browser) -> None:
    async with from_address("198.51.100.7") as busy, from_address("198.51.100.8") as other:
        for _ in range(20):
            await _account(busy)
        body = {"email": f"{unique('late')}@example.com", "password": PASSWORD, "name": "Late"}
        refused = await busy.post("/api/v1/auth/register", json=body)
        assert _assert_throttled(refused) == 3600
        assert (await other.post("/api/v1/auth/register", json=body)).status_code == 201
        clock.now += 3600 * 2
        body["email"] = f"{unique('later')}@example.com"
        assert (await busy.post("/api/v1/auth/register", json=body)).status_code == 201


async def test_the_sign_in_page_answers_429_with_the_message_beside_the_form(clock: Clock, browser: Browser) -> None:
    async with browser("198.51.100.9") as http:
        email, _ = await sign_up_page(http)
        http.cookies.delete("shoppable_session")
        csrf = csrf_of((await http.get("/signin")).text)
        for _ in range(10):
            wrong = await http.post("/signin", data={"email": email, "password": "not it", "csrf_token": csrf})
            assert "The email or password is wrong" in wrong.text
        answer = await http.post("/signin", data={"email": email, "password": PAGE_PASSWORD, "csrf_token": csrf})
        assert answer.status_code == 429
        assert answer.headers["retry-after"] == "900"
        assert answer.headers["content-type"].startswith("text/html")
        assert 'id="f-password-error"' in answer.text
        assert "Too many wrong passwords for this account" in answer.text
        assert "shoppable_session" not in http.cookies


async def test_the_sign_up_page_answers_429_with_the_message_beside_the_form(clock: Clock, browser: Browser) -> None:
    async with browser("198.51.100.10") as http:
        for _ in range(20):
            await sign_up_page(http)
        http.cookies.clear()
        csrf = csrf_of((await http.get("/signup")).text)
        data = {"name": "Ana", "email": f"{unique('page')}@example.com", "password": PAGE_PASSWORD, "csrf_token": csrf}
        answer = await http.post("/signup", data=data)
        assert answer.status_code == 429
        assert answer.headers["retry-after"] == "3600"
        assert 'id="f-email-error"' in answer.text
        assert "Too many sign-ups from your network" in answer.text
        assert "shoppable_session" not in http.cookies


async def test_wrong_current_passwords_are_throttled_on_the_account_page(clock: Clock, browser: Browser) -> None:
    async with browser("198.51.100.11") as http, browser("198.51.100.12") as elsewhere:
        email, csrf = await sign_up_page(http)
        change = {"current_password": "not it", "new_password": "a whole new phrase", "csrf_token": csrf}
        for _ in range(10):
            wrong = await http.post("/account/password", data=change)
            assert wrong.status_code == 200
            assert "Wrong password" in wrong.text
        refused = await http.post("/account/password", data=change | {"current_password": PAGE_PASSWORD})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "900"
        assert 'id="f-current-password-error"' in refused.text
        assert "Too many wrong current passwords" in refused.text
        # Not a lockout: the account still signs in, here and from elsewhere, and may change it from elsewhere.
        signin = csrf_of((await elsewhere.get("/signin")).text)
        signed = await elsewhere.post("/signin", data={"email": email, "password": PAGE_PASSWORD, "csrf_token": signin})
        assert signed.status_code == 303
        token = csrf_of((await elsewhere.get("/account")).text)
        changed = await elsewhere.post(
            "/account/password",
            data={"current_password": PAGE_PASSWORD, "new_password": "a whole new phrase", "csrf_token": token},
        )
        assert changed.status_code == 303


async def test_the_throttle_counts_in_redis_across_processes(strict: FastAPI, from_address: Browser) -> None:
    await skip_unless_redis()
    clock = Clock()
    one, another_process = Throttle.on_redis(REDIS_URL, clock=clock), Throttle.on_redis(REDIS_URL, clock=clock)
    address = f"2001:db8::{unique('')[:4]}"  # its own keys in a Redis other runs may share
    try:
        strict.state.throttle = one
        async with from_address(address) as http:
            account = await _account(http)
            for _ in range(10):
                assert (await _sign_in(http, account.email, "wrong-password")).status_code == 401
            _assert_throttled(await _sign_in(http, account.email, PASSWORD))
            # Another process, counting in the same Redis, refuses the pair as well.
            strict.state.throttle = another_process
            _assert_throttled(await _sign_in(http, account.email, PASSWORD))
    finally:
        await one.aclose()
        await another_process.aclose()
        strict.state.throttle = Throttle.in_memory()


async def test_the_api_documents_429_on_sign_in_and_sign_up(strict: FastAPI) -> None:
    paths = strict.openapi()["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/auth/register"):
        assert "429" in paths[path]["post"]["responses"], path
        assert list(paths[path]["post"]["responses"]["429"]["content"]) == ["application/problem+json"]
