"""Seller Center: settings. The shop's details (name, time zone: every member sees them, owners change them);
owners only: the people who work for the shop and their roles, invitations by email (the invitee accepts, as
identity/invitations.py makes them), and the shop's API keys (a new key is shown once, on the page that created
it, never again: the list shows its prefix). Staff get the 403 page on the owner-only pages and their forms."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import shops
from shoppable.catalog.rules import time_zones
from shoppable.identity import service as identity
from shoppable.identity.rules import ShopRole
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.web.forms import FieldErrors, field_errors, form_of
from shoppable.web.paging import page_or_first
from shoppable.web.seller.access import OwnerForm, OwnerPage, Seller, SellerPage
from shoppable.web.templating import render, with_toast

router = APIRouter(include_in_schema=False)

COMMON_ZONES = (
    "UTC",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/Mexico_City",
    "America/Bogota",
    "America/Lima",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "America/Toronto",
    "America/Vancouver",
    "Atlantic/Reykjavik",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Africa/Casablanca",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Ho_Chi_Minh",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Manila",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Taipei",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Perth",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Melbourne",
    "Pacific/Auckland",
    "Pacific/Honolulu",
)
ROLE_LABELS = {"owner": "Owner", "staff": "Staff"}
ROLE_HINTS = {
    "owner": "Everything, including staff, API keys, shop details and withdrawals",
    "staff": "Products, imports, plans, orders, returns, lives and the finance figures; not staff, API keys, "
    "shop details or withdrawals",
}
INVITATION_STATUS = {
    "pending": ("Waiting for an answer", "warn"),
    "accepted": ("Accepted", "ok"),
    "declined": ("Declined", "bad"),
    "expired": ("Expired", "bad"),
    "revoked": ("Revoked", "bad"),
}
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


def zone_choices(current: str) -> list[str]:
    """The common zones, with the shop's own first among them if it is not one."""
    return list(COMMON_ZONES) if current in COMMON_ZONES else [current, *COMMON_ZONES]


# --- shop details -------------------------------------------------------------------------------------------------


async def _details(
    request: Request, seller: Seller, *, errors: FieldErrors | None = None, posted: dict[str, str] | None = None
) -> Response:
    shop = seller.shop
    posted = posted or {}
    context = {
        "section": "settings",
        "name": posted.get("name", shop.name),
        "time_zone": posted.get("time_zone", shop.time_zone or "UTC"),
        "zones": zone_choices(posted.get("time_zone", shop.time_zone or "UTC")),
        "errors": errors or {},
    }
    return render(request, "seller/settings/details.html", context, status_code=422 if errors else 200)


@router.get("/seller/{shop_slug}/settings")
async def settings_page(request: Request, seller: SellerPage) -> Response:
    return await _details(request, seller)


@router.post("/seller/{shop_slug}/settings")
async def save_details(request: Request, session: DbSession, seller: OwnerForm) -> Response:
    form = await form_of(request)
    name, zone = form.get("name", "").strip(), form.get("time_zone", "").strip()
    errors: FieldErrors = {}
    if not name:
        errors["name"] = "Enter the shop's name"
    elif len(name) > 200:
        errors["name"] = "The shop's name must be 200 characters or fewer"
    if zone not in time_zones():
        errors["time_zone"] = "Choose the shop's time zone from the list"
    if not errors:
        try:
            await shops.update_shop(session, seller.principal, seller.shop.id, name=name, time_zone=zone)
        except ShoppableError as error:
            if error.status != 422:
                raise
            errors = field_errors(error)
        else:
            return with_toast(RedirectResponse(f"{seller.base}/settings", status_code=303), "shop_saved")
    return await _details(request, seller, errors=errors, posted={**form, "name": name, "time_zone": zone})


# --- staff --------------------------------------------------------------------------------------------------------


async def _staff(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    *,
    errors: FieldErrors | None = None,
    posted: dict[str, str] | None = None,
    status_code: int | None = None,
) -> Response:
    members = await shops.list_members(session, seller.principal, seller.shop.id)
    invitations, _ = await shops.list_invitations(session, seller.principal, seller.shop.id, limit=50, cursor=None)
    context = {
        "section": "settings",
        "members": [{**m, "label": ROLE_LABELS.get(m["role"], m["role"])} for m in members],
        "invitations": [
            {
                **i,
                "label": ROLE_LABELS.get(i["role"], i["role"]),
                "state": INVITATION_STATUS.get(i["status"], (i["status"], "warn")),
            }
            for i in invitations
        ],
        "roles": ROLE_LABELS,
        "role_hints": ROLE_HINTS,
        "ttl_days": request.app.state.settings.invitation_ttl_days,
        "errors": errors or {},
        "posted": posted or {},
    }
    return render(request, "seller/settings/staff.html", context, status_code=status_code or (422 if errors else 200))


@router.get("/seller/{shop_slug}/settings/staff")
async def staff_page(request: Request, session: DbSession, seller: OwnerPage) -> Response:
    return await _staff(request, session, seller)


@router.post("/seller/{shop_slug}/settings/staff/invitations")
async def invite(request: Request, session: DbSession, seller: OwnerForm) -> Response:
    form = await form_of(request)
    email, role = form.get("email", "").strip(), form.get("role", "staff")
    errors: FieldErrors = {}
    if not email:
        errors["email"] = "Enter the email address of the person to invite"
    else:
        try:
            email = _EMAIL.validate_python(email)
        except ValidationError:
            errors["email"] = "Enter an email address like name@example.com"
    if role not in ROLE_LABELS:
        errors["role"] = "Choose a role"
    if not errors:
        ttl = timedelta(days=request.app.state.settings.invitation_ttl_days)
        try:
            await shops.invite_member(
                session, seller.principal, seller.shop.id, email=email, role=ShopRole(role), ttl=ttl
            )
        except ShoppableError as error:
            if error.status not in (409, 422):
                raise
            errors = {"email": error.detail}  # yourself, or too many waiting: both about whom to invite
        else:
            return with_toast(RedirectResponse(f"{seller.base}/settings/staff", status_code=303), "invitation_sent")
    return await _staff(request, session, seller, errors=errors, posted=form)


@router.post("/seller/{shop_slug}/settings/staff/invitations/{invitation_id}/revoke")
async def revoke_invitation(request: Request, invitation_id: str, session: DbSession, seller: OwnerForm) -> Response:
    try:
        await shops.revoke_invitation(session, seller.principal, seller.shop.id, invitation_id)
    except ShoppableError as error:
        if error.code != "invitation_not_pending":
            raise
        return await _staff(
            request, session, seller, errors={"_invitations": "That invitation was already answered."}, status_code=409
        )
    return with_toast(RedirectResponse(f"{seller.base}/settings/staff", status_code=303), "invitation_revoked")


@router.post("/seller/{shop_slug}/settings/staff/members/{user_id}/remove")
async def remove_member(request: Request, user_id: str, session: DbSession, seller: OwnerForm) -> Response:
    try:
        await shops.remove_member(session, seller.principal, seller.shop.id, user_id)
    except ShoppableError as error:
        if error.code != "cannot_remove_self":
            raise
        return await _staff(request, session, seller, errors={"_members": error.detail}, status_code=409)
    return with_toast(RedirectResponse(f"{seller.base}/settings/staff", status_code=303), "member_removed")


# --- API keys -----------------------------------------------------------------------------------------------------


async def _keys(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    *,
    cursor: str | None = None,
    created: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    keys, next_cursor, cursor = await page_or_first(
        lambda at: shops.list_api_keys(session, seller.principal, seller.shop.id, limit=50, cursor=at), cursor
    )
    context = {
        "section": "settings",
        "keys": keys,
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
        "created": created,
        "errors": errors or {},
        "posted": posted or {},
    }
    return render(request, "seller/settings/api_keys.html", context, status_code=422 if errors else 200)


@router.get("/seller/{shop_slug}/settings/api-keys")
async def api_keys_page(
    request: Request,
    session: DbSession,
    seller: OwnerPage,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    return await _keys(request, session, seller, cursor=cursor)


@router.post("/seller/{shop_slug}/settings/api-keys")
async def create_api_key(request: Request, session: DbSession, seller: OwnerForm) -> Response:
    form = await form_of(request)
    name = form.get("name", "").strip()
    if len(name) > 200:
        return await _keys(
            request, session, seller, errors={"name": "The name must be 200 characters or fewer"}, posted=form
        )
    assert seller.visitor.user_id is not None
    key, secret = await identity.create_api_key(
        session, shop_id=seller.shop.id, created_by=seller.visitor.user_id, name=name or "API key"
    )
    # The key is in this page only (render() answers no-store): never in a URL, a cookie or a log line.
    created = {"id": key.id, "name": key.name, "prefix": key.prefix, "secret": secret}
    return await _keys(request, session, seller, created=created)


@router.post("/seller/{shop_slug}/settings/api-keys/{key_id}/revoke")
async def revoke_api_key(key_id: str, session: DbSession, seller: OwnerForm) -> Response:
    await shops.revoke_api_key(session, seller.principal, seller.shop.id, key_id)
    return with_toast(RedirectResponse(f"{seller.base}/settings/api-keys", status_code=303), "api_key_revoked")
