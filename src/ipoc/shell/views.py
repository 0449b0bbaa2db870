"""The shell: home page, per-role dashboard, health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import text

from ipoc.shell.dashboard import dashboard, public_home
from ipoc.web.deps import DB, CurrentPrincipal, LoggedIn
from ipoc.web.templating import render

router = APIRouter()


@router.get("/")
def home(request: Request, session: DB, p: CurrentPrincipal):
    if p.is_authenticated:
        return RedirectResponse("/dashboard", status_code=303)
    return render(request, "home.html", {"title": "首页", **public_home(session)})


@router.get("/dashboard")
def dashboard_page(request: Request, session: DB, p: LoggedIn, changed: int = 0):
    ctx = {"title": "工作台", **dashboard(session, p)}
    if changed:
        ctx["flash"] = "密码已修改"
    return render(request, "dashboard.html", ctx)


@router.get("/healthz")
def health(session: DB) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}
