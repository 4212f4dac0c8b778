"""Pure identity rules: roles, principals and what each may do for a shop, handles, and which passwords are
too easy to guess."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from enum import StrEnum

from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # ships no type hints

from shoppable.kit.errors import ShoppableError


class ShopRole(StrEnum):
    OWNER = "owner"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user (``user_id``) or a shop API key (``shop_id``, acting for that shop only)."""

    user_id: str | None = None
    shop_id: str | None = None
    api_key_id: str | None = None

    @property
    def is_shop_key(self) -> bool:
        return self.api_key_id is not None

    @property
    def key(self) -> str:
        """A stable name for the principal (idempotency keys are kept per principal)."""
        return f"key:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"


@dataclass(frozen=True, slots=True)
class CallingCreator:
    """A signed-in user acting as their creator profile."""

    user_id: str
    creator_id: str
    handle: str

    @property
    def key(self) -> str:
        return f"user:{self.user_id}"


def may_act_for_shop(principal: Principal, shop_id: str, role: ShopRole | None, *, owner_only: bool) -> bool:
    """Whether the caller may act for ``shop_id``, given the caller's role there (None: not a member)."""
    if principal.is_shop_key:
        return principal.shop_id == shop_id and not owner_only
    if role is None:
        return False
    return role == ShopRole.OWNER or not owner_only


def normalise_email(email: str) -> str:
    return email.strip().lower()


RESERVED_HANDLES = frozenset({"me", "admin", "api", "shoppable", "support", "help", "settings"})  # paths and staff
_HANDLE = re.compile(r"[a-z0-9](?:[a-z0-9_.]{0,28}[a-z0-9_])?")


def check_handle(handle: str) -> str:
    """A creator handle, lower-cased: 1 to 30 letters, digits, ``_`` or ``.``, not starting with ``_`` or ``.``
    nor ending with ``.`` (so ``@handle`` reads unambiguously in text)."""
    normalised = handle.strip().lstrip("@").lower()
    if normalised in RESERVED_HANDLES:
        raise ShoppableError(
            "handle_taken",
            409,
            f"The handle @{normalised} is reserved.",
            errors=[{"loc": ["body", "handle"], "msg": "reserved"}],
        )
    if not _HANDLE.fullmatch(normalised):
        raise ShoppableError(
            "invalid_handle",
            422,
            "A handle is 1 to 30 letters, digits, '_' or '.', starting with a letter or digit.",
            errors=[{"loc": ["body", "handle"], "msg": "1 to 30 of a-z, 0-9, _ and ."}],
        )
    return normalised


# zxcvbn's cost grows steeply with length (measured: a few ms for most passwords, 0.35 s for a 32-character
# sequence, 2.3 s for 72): it judges the first 32 characters. Characters past them only add strength, so cutting
# errs toward refusing, never toward letting a weak password in.
PASSWORD_JUDGED_CHARS = 32
MIN_PASSWORD_SCORE = 2  # zxcvbn's 0-4 scale: 2 is "somewhat guessable", about 10^8 guesses
_ZXCVBN = threading.Lock()  # zxcvbn keeps each call's user inputs in a module-level dictionary


def password_hints(email: str, name: str) -> list[str]:
    """What a password must not be built from: the email, its local part and the words in it, and the name."""
    local = email.partition("@")[0]
    words = [word for word in re.split(r"[\W_]+", f"{local} {name}") if word]
    return [email, local, name, name.replace(" ", ""), *words]


def check_password(password: str, *, email: str, name: str, field: str = "password") -> None:
    """Refuse (422 ``weak_password``) a password zxcvbn scores below ``MIN_PASSWORD_SCORE``: a common one, a
    keyboard walk or repeat, or one built from the account's own email or name. The message carries zxcvbn's
    feedback where it has some."""
    with _ZXCVBN:
        result = zxcvbn(password[:PASSWORD_JUDGED_CHARS], user_inputs=password_hints(email, name))
    if result["score"] >= MIN_PASSWORD_SCORE:
        return
    feedback = result.get("feedback") or {}
    advice = [str(feedback.get("warning") or "").strip(), *(str(s).strip() for s in feedback.get("suggestions") or [])]
    advice = [sentence if sentence.endswith(".") else f"{sentence}." for sentence in advice if sentence]
    if not advice:
        advice = ["Add another word or two. Uncommon words are better."]
    msg = " ".join(["This password is too easy to guess.", *advice])
    raise ShoppableError("weak_password", 422, msg, errors=[{"loc": ["body", field], "msg": msg}])
