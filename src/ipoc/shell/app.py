"""The FastAPI application: web pages, the JSON API under /api/v1, local static assets."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ipoc import __version__
from ipoc.applications.api import router as applications_api
from ipoc.applications.views import router as applications_router
from ipoc.audit.api import router as audit_api
from ipoc.audit.views import router as audit_router
from ipoc.auth.api import router as auth_api
from ipoc.auth.views import router as auth_router
from ipoc.benefits.api import router as benefits_api
from ipoc.benefits.views import router as benefits_router
from ipoc.catalogue.api import router as catalogue_api
from ipoc.catalogue.views import router as catalogue_router
from ipoc.centers.api import router as centers_api
from ipoc.centers.views import router as centers_router
from ipoc.config import Settings, get_settings, set_settings
from ipoc.db import session_scope
from ipoc.deals.api import router as deals_api
from ipoc.deals.views import router as deals_router
from ipoc.documents.views import router as documents_router
from ipoc.errors import DomainError
from ipoc.events.api import router as events_api
from ipoc.events.views import router as events_router
from ipoc.files.views import router as files_router
from ipoc.jobs import heartbeat, queue
from ipoc.jobs.api import router as jobs_api
from ipoc.jobs.views import router as jobs_router
from ipoc.licensing.api import router as licensing_api
from ipoc.licensing.views import router as licensing_router
from ipoc.matching.api import router as matching_api
from ipoc.matching.views import router as matching_router
from ipoc.messages.api import router as messages_api
from ipoc.messages.views import router as messages_router
from ipoc.notices.api import router as notices_api
from ipoc.notices.views import router as notices_router
from ipoc.orgs.api import router as orgs_api
from ipoc.orgs.views import router as orgs_router
from ipoc.patents.api import router as patents_api
from ipoc.patents.views import router as patents_router
from ipoc.reference.api import router as reference_api
from ipoc.reference.views import router as reference_router
from ipoc.reminders.api import router as reminders_api
from ipoc.reminders.views import router as reminders_router
from ipoc.reviews.api import router as reviews_api
from ipoc.reviews.views import router as reviews_router
from ipoc.schemas import FORM_INPUT
from ipoc.search import index_sync
from ipoc.search.api import router as search_api
from ipoc.search.views import router as search_router
from ipoc.shell.views import router as shell_router
from ipoc.stock.api import router as stock_api
from ipoc.stock.views import router as stock_router
from ipoc.transfer.api import router as transfer_api
from ipoc.transfer.views import router as transfer_router
from ipoc.web.admission import BUSY, RETRY_AFTER_S, AdmissionLimit
from ipoc.web.deps import SESSION_COOKIE, PasswordChangeRequired, close_request_session, csrf_protect
from ipoc.web.forms import zh_message
from ipoc.web.problems import TITLES, document, domain_code, problem
from ipoc.web.templating import render
from ipoc.workdays.api import router as workdays_api
from ipoc.workdays.views import router as workdays_router

log = logging.getLogger("ipoc.web")
STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
# No inline script anywhere (behaviour lives in /static/*.js), so an injected <script> or on* handler does not run.
# Styles allow 'unsafe-inline': ECharts writes its tooltips as HTML with style attributes, and the templates
# use a few style attributes; styles cannot run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SWAGGER_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>ipoc API 文档</title>
<link rel="icon" href="/static/favicon.svg"><link rel="stylesheet" href="/static/vendor/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script><script src="/static/swagger-init.js"></script>
</body></html>"""
MAX_API_BODY = 4 << 20  # bytes of a JSON (or form) body sent to the API
MAX_UPLOAD_BODY = (2 << 30) + (1 << 20)  # the largest upload (a patent export, patents.service.MAX_UPLOAD) and its form


def _request_id(request: Request) -> str:
    """The caller's id when it is a short, plain token (it goes into logs), else a fresh one."""
    given = request.headers.get("x-request-id", "")
    return given if given.isascii() and given.isalnum() and len(given) <= 64 else uuid.uuid4().hex[:12]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _too_large(request: Request) -> bool:
    """An API body declared larger than any operation takes is refused before it is read: uploads stream against
    their own (smaller) limits, every other body is a JSON document of at most a few hundred kilobytes."""
    length = request.headers.get("content-length", "")
    if not _is_api(request) or not length.isdigit():
        return False
    multipart = request.headers.get("content-type", "").startswith("multipart/")
    return int(length) > (MAX_UPLOAD_BODY if multipart else MAX_API_BODY)


def _error(
    request: Request,
    status: int,
    message: str,
    field: str | None = None,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if _is_api(request):
        return problem(request, status, message, code=code, field=field, headers=headers)
    if status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def _allowed_methods(request: Request) -> str:
    """The methods the requested path answers, for a 405's ``Allow`` header (RFC 9110)."""
    routes = request.app.router.routes
    allowed = [m for m in ("DELETE", "GET", "PATCH", "POST", "PUT") if _answers(routes, {**request.scope, "method": m})]
    return ", ".join(allowed)


def _answers(routes: list, scope: dict) -> bool:
    from starlette.routing import Match

    return any(route.matches(scope)[0] == Match.FULL for route in routes)


def _phrase(status: int) -> str:
    """Starlette's default detail (English): replaced by the Chinese message."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _message(error: dict) -> str:
    return "不接受此字段（未知字段）" if error["type"] == "extra_forbidden" else zh_message(error)


def _busy(request: Request, exc: Exception) -> Response:
    """503 with Retry-After: no pooled connection came within ``db_pool_timeout_s``, or SQLite's write lock
    stayed taken past its busy timeout. Rendered as for a visitor, so the page does not wait on the pool."""
    log.warning("busy request_id=%s path=%s: %s", getattr(request.state, "request_id", "-"), request.url.path, exc)
    request.state.principal = None
    response = _error(request, 503, BUSY)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _install_error_handlers(app: FastAPI) -> None:
    """Handlers are plain ``def`` (Starlette runs them in the thread pool): a rendered page reads the database
    for its navigation badge, which must not happen on the event loop."""

    @app.exception_handler(PasswordChangeRequired)
    def _must_change(request: Request, exc: PasswordChangeRequired) -> Response:
        if _is_api(request):
            return _error(request, 403, exc.message, code="password_change_required")
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(DomainError)
    def _domain(request: Request, exc: DomainError) -> Response:
        return _error(request, exc.status_code, exc.message, exc.field, code=domain_code(exc))

    @app.exception_handler(IntegrityError)
    def _integrity(request: Request, exc: IntegrityError) -> Response:
        """The last line of defence: a write the service checks missed (a duplicate, an unknown reference)
        is a conflict with the stored data, not a crash."""
        log.warning("integrity error request_id=%s path=%s: %s", request.state.request_id, request.url.path, exc.orig)
        return _error(request, 409, "与现有数据冲突（重复或引用了不存在的记录），请检查后重试")

    @app.exception_handler(PoolTimeout)
    def _pool_timeout(request: Request, exc: PoolTimeout) -> Response:
        return _busy(request, exc)

    @app.exception_handler(OperationalError)
    def _operational(request: Request, exc: OperationalError) -> Response:
        if "database is locked" in str(exc.orig):
            return _busy(request, exc)
        return _crash(request, exc)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        plain = isinstance(exc.detail, str) and exc.detail != _phrase(exc.status_code) and exc.status_code != 404
        message = exc.detail if plain else None
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "allow"}
        if exc.status_code == 405:  # every method of the path, not only those of the first route that matched it
            headers["Allow"] = _allowed_methods(request)
        message = message or TITLES.get(exc.status_code, "请求有误")
        return _error(request, exc.status_code, message, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [{"loc": list(e["loc"]), "msg": _message(e), "type": e["type"]} for e in exc.errors()]
        message = "；".join(f"{d['loc'][-1]}：{d['msg']}" for d in details if d["loc"]) or "提交的内容有误"
        if _is_api(request):
            first = details[0] if details else None
            field = str(first["loc"][-1]) if first and first["loc"] else None
            return problem(request, 422, message, code="validation_error", field=field, errors=details)
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)

    @app.exception_handler(Exception)
    def _crash(request: Request, exc: Exception) -> Response:
        request_id = getattr(request.state, "request_id", "-")
        log.exception("unhandled error request_id=%s path=%s", request_id, request.url.path)
        message = f"系统内部错误，请将编号 {request_id} 告知管理员"
        if _is_api(request):
            return problem(request, 500, message)
        return render(request, "error.html", {"status": 500, "message": message}, status_code=500)


def _web_routers() -> list[APIRouter]:
    return [
        shell_router,
        auth_router,
        orgs_router,
        reference_router,
        audit_router,
        search_router,
        patents_router,
        jobs_router,
        applications_router,
        reviews_router,
        notices_router,
        centers_router,
        catalogue_router,
        files_router,
        licensing_router,
        benefits_router,
        transfer_router,
        matching_router,
        deals_router,
        events_router,
        stock_router,
        workdays_router,
        reminders_router,
        messages_router,
        documents_router,
    ]


def _api_routers() -> list[APIRouter]:
    # search before patents: /patents/search must win over /patents/{application_no}
    return [
        auth_api,
        orgs_api,
        reference_api,
        audit_api,
        search_api,
        patents_api,
        jobs_api,
        applications_api,
        reviews_api,
        notices_api,
        centers_api,
        catalogue_api,
        workdays_api,
        reminders_api,
        messages_api,
        licensing_api,
        benefits_api,
        transfer_api,
        matching_api,
        deals_api,
        events_api,
        stock_api,
    ]


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Jobs: on the embedded default this process runs them (its runner first marks interrupted the jobs of
    processes that are gone, never those of a live one); else only the ``ipoc worker`` processes do."""
    settings = get_settings()
    runs_jobs = settings.run_jobs_in_web
    try:
        if runs_jobs:
            queue.start_in_process(settings.web_job_slots)
        else:
            with session_scope() as session:
                heartbeat.sweep(session)
    except (OperationalError, ProgrammingError):  # database not migrated yet: nothing can have run
        log.warning("jobs table not available; run `ipoc db upgrade`")
        runs_jobs = False
    # This process becomes the index writer unless another one is; with jobs in `ipoc worker`, one of those first.
    index_sync.start_follower(eager=settings.run_jobs_in_web)
    try:
        yield
    finally:
        if runs_jobs:
            await asyncio.to_thread(queue.stop_in_process)
        await asyncio.to_thread(index_sync.stop_follower)


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
)


class _RequestContext:
    """Every request's id, form/API mode and refusals before any route runs; the id and the security headers on
    every response it lets through. A plain ASGI middleware: as ``@app.middleware("http")`` it ran each request
    through an extra task and memory streams (about a millisecond per request on these machines)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        request_id = request.state.request_id = _request_id(request)
        FORM_INPUT.set(not _is_api(request))  # web forms may post their page's other fields; API bodies may not
        if "%00" in request.url.path + request.url.query or "\x00" in request.url.path:
            await _error(request, 400, "请求地址中含有不允许的空字符（NUL）")(scope, receive, send)
            return
        if _too_large(request):
            refused = _error(request, 413, f"请求内容超过 {MAX_API_BODY >> 20} MB 上限（文件上传另有各自的上限）")
            refused.headers["X-Request-ID"] = request_id
            await refused(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in _SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:  # after the error page read its badges; static files and refusals never opened a session
            if getattr(request.state, "db", None) is not None:
                await run_in_threadpool(close_request_session, request)


def create_app(settings: Settings | None = None) -> FastAPI:
    if settings is not None:
        set_settings(settings)
    settings = get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="ipoc 产业知识产权运营中心平台 API",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )

    app.add_middleware(_RequestContext)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    # Outermost: requests past the limit wait before any middleware or dependency runs; it also sizes the
    # thread pool that runs route functions (ipoc.web.admission).
    app.add_middleware(
        AdmissionLimit,
        slots=settings.request_slots,
        queue_timeout_s=settings.request_queue_timeout_s,
        threads=settings.threadpool_size,
    )
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE)

    for router in _web_routers():
        app.include_router(router, dependencies=[Depends(csrf_protect)], include_in_schema=False)
    for router in _api_routers():
        app.include_router(router, prefix="/api/v1", dependencies=[Depends(csrf_protect)])
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document names every error status an API operation can answer, each as problem details."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
