"""Accounts in the browser: sign up, sign in and out, and the account page (addresses, cards, password,
devices signed in). Handlers parse the form, call identity and payment services, and render."""

from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from shoppable.identity import service as identity
from shoppable.identity import sessions
from shoppable.identity.deps import SESSION_COOKIE
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.kit.security import safe_next
from shoppable.web.forms import FieldErrors, form_of
from shoppable.web.templating import render, with_toast
from shoppable.web.visitor import FormVisitor, PageVisitor

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


@router.post("/signup")
async def signup(request: Request, session: DbSession, visitor: FormVisitor) -> Response:
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
    if not errors:
        try:
            user = await identity.register_user(session, email=email, password=password, name=name)
        except ShoppableError as error:
            if error.code != "email_taken":
                raise
            errors["email"] = "An account with this email already exists. Sign in instead"
        else:
            agent = request.headers.get("user-agent", "")
            secret = await sessions.open_session(session, user.id, ttl=_ttl(request), user_agent=agent)
            return _signed_in(request, secret, target, "signed_up")
    context = {"form": {"name": name, "email": form.get("email", "")}, "errors": errors, "next": target}
    return render(request, "account/signup.html", context)


@router.get("/signin")
async def signin_page(request: Request, visitor: PageVisitor, next: str | None = None) -> Response:  # noqa: A002
    if visitor.is_signed_in:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "account/signin.html", {"form": {}, "errors": {}, "next": safe_next(next)})


@router.post("/signin")
async def signin(request: Request, session: DbSession, visitor: FormVisitor) -> Response:
    form = await form_of(request)
    target = safe_next(form.get("next"))
    email, password = form.get("email", "").strip(), form.get("password", "")
    errors: FieldErrors = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if not errors:
        try:
            _, secret = await sessions.start_session(
                session,
                email=email,
                password=password,
                ttl=_ttl(request),
                user_agent=request.headers.get("user-agent", ""),
            )
        except ShoppableError as error:
            if error.code != "invalid_credentials":
                raise
            errors["password"] = "The email or password is wrong"
        else:
            return _signed_in(request, secret, target, "signed_in")
    return render(request, "account/signin.html", {"form": {"email": email}, "errors": errors, "next": target})


@router.post("/signout")
async def signout(request: Request, session: DbSession, visitor: FormVisitor) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        await sessions.end_session(session, secret)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return with_toast(response, "signed_out")
