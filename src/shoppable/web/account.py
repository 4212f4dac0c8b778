"""Accounts in the browser: sign up, sign in and out, and the account page (addresses, cards, password,
devices signed in). Handlers parse the form, call identity and payment services, and render."""

from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.identity import addresses, sessions
from shoppable.identity import service as identity
from shoppable.identity.deps import SESSION_COOKIE
from shoppable.identity.throttling import RequestThrottle
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.kit.security import safe_next
from shoppable.payment import cards
from shoppable.web import invitations as invitation_pages
from shoppable.web.checkout import countries, new_address, new_card
from shoppable.web.forms import FieldErrors, field_errors, form_of
from shoppable.web.templating import render, with_toast
from shoppable.web.visitor import FormShopper, FormVisitor, PageVisitor, Shopper, Visitor

router = APIRouter(include_in_schema=False)


def _signed_in(request: Request, secret: str, target: str, toast: str) -> Response:
    settings = request.app.state.settings
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(timedelta(days=settings.session_ttl_days).total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )
    return with_toast(response, toast)


def _ttl(request: Request) -> timedelta:
    return timedelta(days=request.app.state.settings.session_ttl_days)


@router.get("/signup")
async def signup_page(request: Request, visitor: PageVisitor, next: str | None = None) -> Response:  # noqa: A002
    if visitor.is_signed_in:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "account/signup.html", {"form": {}, "errors": {}, "next": safe_next(next)})


def _refused(response: Response, error: ShoppableError | None) -> Response:
    """The form again, as 429 with ``Retry-After`` when a throttle refused it (``error``)."""
    if error is not None:
        response.status_code = error.status
        response.headers.update(error.headers or {})
    return response


@router.post("/signup")
async def signup(request: Request, session: DbSession, visitor: FormVisitor, throttle: RequestThrottle) -> Response:
    form = await form_of(request)
    target = safe_next(form.get("next"))
    name, email, password = form.get("name", "").strip(), form.get("email", "").strip(), form.get("password", "")
    errors: FieldErrors = {}
    if not name:
        errors["name"] = "Enter your name"
    elif len(name) > 200:
        errors["name"] = "Your name must be 200 characters or fewer"
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        errors["email"] = "Enter an email address like name@example.com"
    if len(password) < 8:
        errors["password"] = "Your password must be at least 8 characters"
    elif len(password) > 256:
        errors["password"] = "Your password must be 256 characters or fewer"
    throttled = None
    if not errors:
        try:
            user = await identity.register_user(session, email=email, password=password, name=name, throttle=throttle)
        except ShoppableError as error:
            if error.code == "email_taken":
                errors["email"] = "An account with this email already exists. Sign in instead"
            elif error.code == "weak_password":
                errors["password"] = error.detail
            elif error.code == "rate_limited":
                errors["email"], throttled = error.detail, error
            else:
                raise
        else:
            agent = request.headers.get("user-agent", "")
            secret = await sessions.open_session(session, user.id, ttl=_ttl(request), user_agent=agent)
            return _signed_in(request, secret, target, "signed_up")
    context = {"form": {"name": name, "email": form.get("email", "")}, "errors": errors, "next": target}
    return _refused(render(request, "account/signup.html", context), throttled)


@router.get("/signin")
async def signin_page(request: Request, visitor: PageVisitor, next: str | None = None) -> Response:  # noqa: A002
    if visitor.is_signed_in:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "account/signin.html", {"form": {}, "errors": {}, "next": safe_next(next)})


@router.post("/signin")
async def signin(request: Request, session: DbSession, visitor: FormVisitor, throttle: RequestThrottle) -> Response:
    form = await form_of(request)
    target = safe_next(form.get("next"))
    email, password = form.get("email", "").strip(), form.get("password", "")
    errors: FieldErrors = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    throttled = None
    if not errors:
        try:
            _, secret = await sessions.start_session(
                session,
                email=email,
                password=password,
                ttl=_ttl(request),
                throttle=throttle,
                user_agent=request.headers.get("user-agent", ""),
            )
        except ShoppableError as error:
            if error.code == "invalid_credentials":
                errors["password"] = "The email or password is wrong"
            elif error.code == "rate_limited":
                errors["password"], throttled = error.detail, error
            else:
                raise
        else:
            return _signed_in(request, secret, target, "signed_in")
    context = {"form": {"email": email}, "errors": errors, "next": target}
    return _refused(render(request, "account/signin.html", context), throttled)


@router.post("/signout")
async def signout(request: Request, session: DbSession, visitor: FormVisitor) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        await sessions.end_session(session, secret)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return with_toast(response, "signed_out")


async def _account_page(
    request: Request,
    session: AsyncSession,
    visitor: Visitor,
    *,
    form: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    user_id = visitor.user_id
    context = {
        "addresses": await addresses.list_addresses(session, user_id),
        "cards": await cards.list_cards(session, user_id),
        "devices": await sessions.active_sessions(session, user_id),
        "this_session": visitor.user.session_id if visitor.user else None,
        "countries": countries(),
        "form": form or {},
        "errors": errors or {},
        **await invitation_pages.account_shops(session, visitor),
    }
    return render(request, "account/account.html", context, status_code=status_code)


@router.get("/account")
async def account_page(request: Request, session: DbSession, visitor: Shopper) -> Response:
    return await _account_page(request, session, visitor)


@router.post("/account/addresses")
async def add_address(request: Request, session: DbSession, visitor: FormShopper) -> Response:
    form = await form_of(request)
    errors: FieldErrors = {}
    address = new_address(form, errors)
    if address is not None:
        try:
            await addresses.save_address(session, visitor.user_id, address)
        except ShoppableError as error:
            errors["_form"] = error.detail
    if errors:
        return await _account_page(request, session, visitor, form=form, errors=errors)
    return with_toast(RedirectResponse("/account#addresses", status_code=303), "address_saved")


@router.post("/account/addresses/{address_id}/delete")
async def remove_address(request: Request, address_id: str, session: DbSession, visitor: FormShopper) -> Response:
    await addresses.delete_address(session, visitor.user_id, address_id)
    return with_toast(RedirectResponse("/account#addresses", status_code=303), "address_deleted")


@router.post("/account/cards")
async def add_card(request: Request, session: DbSession, visitor: FormShopper) -> Response:
    form = await form_of(request)
    errors: FieldErrors = {}
    card = new_card(form, errors)
    if card is not None:
        try:
            await cards.save_card(session, visitor.user_id, form["card_number"], card.exp_month, card.exp_year)
        except ShoppableError as error:
            errors["card_number"] = error.detail
    if errors:
        return await _account_page(request, session, visitor, form=form, errors=errors)
    return with_toast(RedirectResponse("/account#cards", status_code=303), "card_saved")


@router.post("/account/cards/{card_id}/delete")
async def remove_card(request: Request, card_id: str, session: DbSession, visitor: FormShopper) -> Response:
    await cards.delete_card(session, visitor.user_id, card_id)
    return with_toast(RedirectResponse("/account#cards", status_code=303), "card_deleted")


@router.post("/account/password")
async def change_password(
    request: Request, session: DbSession, visitor: FormShopper, throttle: RequestThrottle
) -> Response:
    form = await form_of(request)
    errors: FieldErrors = {}
    throttled = None
    if not form.get("current_password"):
        errors["current_password"] = "Enter your current password"
    if len(form.get("new_password", "")) < 8:
        errors["new_password"] = "Your new password must be at least 8 characters"
    if not errors:
        try:
            await sessions.change_password(
                session,
                visitor.user_id,
                current=form["current_password"],
                new=form["new_password"],
                keep_session_id=visitor.user.session_id if visitor.user else None,
                throttle=throttle,
            )
        except ShoppableError as error:
            if error.code == "rate_limited":
                errors, throttled = {"current_password": error.detail}, error
            else:
                errors = field_errors(error)
    if errors:
        return _refused(await _account_page(request, session, visitor, errors=errors), throttled)
    return with_toast(RedirectResponse("/account#password", status_code=303), "password_changed")


@router.post("/account/sessions/end-others")
async def end_other_sessions(request: Request, session: DbSession, visitor: FormShopper) -> Response:
    keep = visitor.user.session_id if visitor.user else None
    await sessions.end_other_sessions(session, visitor.user_id, keep_session_id=keep)
    return with_toast(RedirectResponse("/account#devices", status_code=303), "sessions_ended")
