"""Seller Center: imports. Upload a Shopify CSV or JSON or a WooCommerce CSV export, watch it run (the page polls a
fragment every second while the background runner works), then read the per-row report; the shop's past imports,
newest first. Handlers call the catalog's import services with the member's principal, as the REST API does."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import imports
from shoppable.catalog.models import ProductImport
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.idempotency import fingerprint, run_once
from shoppable.web.forms import FieldErrors
from shoppable.web.paging import page_or_first
from shoppable.web.seller.access import Seller, SellerForm, SellerPage
from shoppable.web.seller.uploads import close_form_at_end
from shoppable.web.templating import render, with_toast

router = APIRouter(include_in_schema=False, dependencies=[Depends(close_form_at_end)])

PAGE_SIZE = 25
FORMATS = (
    ("", "Detect from the file"),
    ("shopify_csv", "Shopify products CSV"),
    ("shopify_json", "Shopify products JSON"),
    ("woocommerce_csv", "WooCommerce products CSV"),
)
FORMAT_LABELS = {"shopify_csv": "Shopify CSV", "shopify_json": "Shopify JSON", "woocommerce_csv": "WooCommerce CSV"}
STATUS_LABELS = {"queued": "Waiting to start", "running": "Importing", "succeeded": "Finished", "failed": "Failed"}


async def _shop_import(session: AsyncSession, seller: Seller, import_id: str) -> ProductImport:
    """The import, if it is this shop's: the 404 page otherwise (even for a member of the other shop)."""
    job = await imports.get_import_for(session, seller.principal, import_id)
    if job.shop_id != seller.shop.id:
        raise not_found("Import")
    return job


def _view(request: Request, job: ProductImport) -> dict[str, Any]:
    """The import as its page shows it: the API's read model, its progress while it runs here, and labels."""
    model = imports.read_model(job)
    fraction = request.app.state.import_runner.progress(job.id) if job.status == "running" else None
    return model | {
        "percent": None if fraction is None else round(fraction * 100),
        "status_label": STATUS_LABELS.get(job.status, job.status),
        "format_label": FORMAT_LABELS.get(job.format, job.format),
        "is_done": job.status in ("succeeded", "failed"),
        # A row may carry several reasons (a bad price, then its product without a variant): counted once.
        "skipped_rows": len({entry["row"] for entry in model["skipped"]}),
    }


async def _list_context(request: Request, session: AsyncSession, seller: Seller, cursor: str | None) -> dict[str, Any]:
    jobs, next_cursor, cursor = await page_or_first(
        lambda at: imports.list_shop_imports(session, seller.principal, seller.shop.id, limit=PAGE_SIZE, cursor=at),
        cursor,
    )
    return {
        "section": "imports",
        "imports": [_view(request, job) for job in jobs],
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
        "formats": FORMATS,
    }


@router.get("/seller/{shop_slug}/imports")
async def imports_page(
    request: Request,
    session: DbSession,
    seller: SellerPage,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    context = await _list_context(request, session, seller, cursor)
    context |= {"errors": {}, "chosen_format": "", "idempotency_key": secrets.token_urlsafe(18)}
    return render(request, "seller/imports/list.html", context)


def _upload_errors(error: ShoppableError) -> FieldErrors:
    if error.code == "invalid_import_file" and error.detail.startswith("could not tell the file format"):
        return {"file": "We could not tell which export this is. Choose its format, then import it again."}
    return {"file": error.detail}  # empty, too large, not CSV or JSON: the service's sentence says which


@router.post("/seller/{shop_slug}/imports")
async def start_import(request: Request, session: DbSession, seller: SellerForm) -> Response:
    return await _start_import(request, session, seller, await request.form())


async def _start_import(request: Request, session: AsyncSession, seller: Seller, form: FormData) -> Response:
    upload = form.get("file")
    chosen = str(form.get("format") or "")
    chosen = chosen if chosen in FORMAT_LABELS else ""
    key = str(form.get("idempotency_key") or "").strip()[:255] or None
    errors: FieldErrors = {}
    body: dict[str, Any] = {}
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = "Choose the export file to import."
    else:
        try:
            async with session.begin_nested():  # a refused upload leaves no claim on the form's key behind
                stored = await imports.store_upload(upload)

                async def start() -> tuple[int, Any]:
                    job = await imports.queue_import(
                        session,
                        shop_id=seller.shop.id,
                        upload=stored,
                        requested_format=chosen or None,
                        actor=seller.principal.key,
                    )
                    return 202, imports.read_model(job)

                _, body = await run_once(
                    session,
                    principal=seller.principal.key,
                    key=key,
                    request_fingerprint=fingerprint("import", seller.shop.id, chosen, stored.sha256),
                    action=start,
                )
        except ShoppableError as error:
            if error.code == "idempotency_key_reused":  # the form's first file went in; this is another one
                errors["file"] = "This form already imported another file. Choose the file again to import it."
            else:
                errors = _upload_errors(error)
    if errors:
        context = await _list_context(request, session, seller, None)
        context |= {"errors": errors, "chosen_format": chosen, "idempotency_key": secrets.token_urlsafe(18)}
        return render(request, "seller/imports/list.html", context, status_code=422)
    if body["status"] == "queued":
        imports.schedule_after_commit(session, request.app.state.import_runner, body["id"])
    response = RedirectResponse(f"{seller.base}/imports/{body['id']}", status_code=303)
    return with_toast(response, "import_started")


@router.get("/seller/{shop_slug}/imports/{import_id}")
async def import_page(request: Request, session: DbSession, seller: SellerPage, import_id: str) -> Response:
    job = await _shop_import(session, seller, import_id)
    context = {
        "section": "imports",
        "job": _view(request, job),
        "errors": {},
        "chosen_format": "",
        "formats": FORMATS,
        "idempotency_key": secrets.token_urlsafe(18),
    }
    return render(request, "seller/imports/detail.html", context)


@router.get("/seller/{shop_slug}/imports/{import_id}/progress")
async def import_progress(request: Request, session: DbSession, seller: SellerPage, import_id: str) -> Response:
    """The fragment the import's page polls: the progress bar while it runs, the report once it has finished
    (which carries no trigger, so the polling stops)."""
    job = await _shop_import(session, seller, import_id)
    return render(request, "seller/imports/_status.html", {"job": _view(request, job)})
