"""REST endpoints of identity: register and sign in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Response

from shoppable.identity import service
from shoppable.identity.deps import CurrentUser, bearer_token
from shoppable.identity.schemas import CreatorCreate, CreatorRead, TokenRead, UserCreate, UserRead
from shoppable.identity.throttling import RequestThrottle
from shoppable.kit.deps import DbSession
from shoppable.kit.http import PROBLEM_RESPONSES, problem_response

router = APIRouter(prefix="/api/v1/auth", tags=["identity"], responses=PROBLEM_RESPONSES)


# Sign-in and sign-up answer 429 with Retry-After past their throttles (identity.throttling).
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: problem_response("Too many attempts from this address: wait `Retry-After` seconds")
}


@router.post(
    "/register",
    status_code=201,
    response_model=UserRead,
    summary="Create an account (public)",
    description="422 `weak_password` for a password too easy to guess (common, or built from the email or "
    "name); 429 `rate_limited` past the sign-ups one address may make.",
    responses=THROTTLED,
)
async def register(body: UserCreate, session: DbSession, throttle: RequestThrottle) -> UserRead:
    user = await service.register_user(
        session, email=body.email, password=body.password, name=body.name, throttle=throttle
    )
    return UserRead(id=user.id, email=user.email, name=user.name)


@router.post(
    "/token",
    response_model=TokenRead,
    summary="Sign in: OAuth2 password flow (public)",
    description="429 `rate_limited` (even for the right password) once this address has failed too often, for "
    "this account or for any; another address still signs in.",
    responses=THROTTLED,
)
async def token(
    session: DbSession,
    throttle: RequestThrottle,
    username: Annotated[str, Form(min_length=1, max_length=320)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> TokenRead:
    issued = await service.issue_token(session, email=username, password=password, throttle=throttle)
    return TokenRead(access_token=issued.access_token, expires_in=issued.expires_in)


@router.delete("/token", status_code=204, summary="Sign out: revoke the token this request carries (user)")
async def revoke_token(session: DbSession, user: CurrentUser, token: Annotated[str, Depends(bearer_token)]) -> Response:
    await service.revoke_token(session, token)
    return Response(status_code=204)


creators_router = APIRouter(prefix="/api/v1/creators", tags=["creators"], responses=PROBLEM_RESPONSES)


@creators_router.post("", status_code=201, response_model=CreatorRead, summary="Become a creator: one profile per user")
async def create_creator(body: CreatorCreate, session: DbSession, user: CurrentUser) -> CreatorRead:
    assert user.user_id is not None
    creator = await service.create_creator(
        session,
        user_id=user.user_id,
        handle=body.handle,
        display_name=body.display_name,
        bio=body.bio,
        avatar_url=body.avatar_url,
    )
    return CreatorRead.model_validate(creator, from_attributes=True)
