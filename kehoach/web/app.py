"""The portal's application: login, drafts, intake sheets and the roll-up, scoped by unit.

Thin over the core: every page reads the manifest, the store and the plan through the same
functions the CLI and the flows use. The order of the middleware matters: the body limit is
outermost (nothing reads more than the limit), then CSRF (every POST carries its form's token,
login included), then the routes, each of which asks :func:`current_user` first.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from asgi_csrf import asgi_csrf  # type: ignore[import-untyped]
from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.templating import Jinja2Templates
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Engine
from starlette.types import ASGIApp

from kehoach.cascade.issued import Overrides, read_issued
from kehoach.cascade.manifest import ManifestEntry
from kehoach.io.errors import KehoachError
from kehoach.status.intake import IntakeError, read_files, sheet_bytes
from kehoach.status.periods import Period
from kehoach.status.rollup import UnitRollup
from kehoach.status.store.db import connect, issue_plan, record
from kehoach.status.store.users import User, find_user
from kehoach.web.auth import SESSION_COOKIE, LoginThrottle, Sessions, check_login
from kehoach.web.cascades import Cascade, cascades, find_cascade, zip_stream
from kehoach.web.files import FileKind, file_kind, keep_upload
from kehoach.web.limits import BodyLimit
from kehoach.web.plans import Received, drafts_to_write, receive, received, start_units
from kehoach.web.reporting import Reporting, reporting
from kehoach.web.settings import PortalConfig

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
LEVELS = {
    "trung-uong": "Trung ương",
    "tinh": "Cấp tỉnh",
    "huyen": "Cấp huyện",
    "xa": "Cấp xã",
    "phong-ban": "Phòng ban",
}


class LoginNeeded(Exception):
    """No valid session: the page sends the user to the login form."""


class _Everywhere:
    """Every path is protected by CSRF, even before the first cookie (login CSRF)."""

    def __contains__(self, _path: object) -> bool:
        return True


def vn_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy, as Vietnamese documents write dates."""
    return "" if value is None else f"{value:%d/%m/%Y}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


class Portal:
    """The application's state: its settings, the store, sessions and login attempts."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.engine: Engine = connect(config.database_url)
        self.sessions = Sessions(config.signing_secret(), config.session_seconds)
        self.throttle = LoginThrottle(config.login_attempts, config.login_window_seconds)
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.filters["ngay"] = vn_date
        self.templates.env.filters["pct"] = _pct
        self.templates.env.globals["levels"] = LEVELS

    def user(self, request: Request) -> User:
        """The signed-in, active user of ``request``, or :class:`LoginNeeded`."""
        name = self.sessions.username(request.cookies.get(SESSION_COOKIE))
        found = find_user(self.engine, name) if name else None
        if found is None or not found[0].active:
            raise LoginNeeded
        return found[0]

    def render(
        self, request: Request, name: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        token: Callable[[], str] | None = request.scope.get("csrftoken")
        context |= {"csrftoken": token() if token else "", "prefect_ui": self.config.prefect_ui_url}
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    def reporting(self) -> Reporting:
        c = self.config
        return reporting(c.plan, c.hierarchy, c.out)


def _period(text: str | None, default: str) -> Period:
    try:
        return Period.parse(text or default)
    except ValueError:
        raise HTTPException(400, "Kỳ báo cáo không hợp lệ (ví dụ 2024-Q1)") from None


def _cascade_or_404(portal: Portal, plan: str, hierarchy: str) -> Cascade:
    found = find_cascade(portal.config.out, plan, hierarchy)
    if found is None:
        raise HTTPException(404, "Không có bộ dự thảo này")
    return found


def _entry_in_scope(cascade: Cascade, unit_id: str, user: User) -> ManifestEntry:
    """The draft of ``unit_id`` if the user may see it: 403 for another unit's, 404 for none."""
    if unit_id not in cascade.entries:
        raise HTTPException(404, "Không có dự thảo của đơn vị này")
    if not cascade.in_scope(unit_id, user.unit_id):
        raise HTTPException(403, "Đơn vị này không thuộc phạm vi của tài khoản")
    return cascade.entries[unit_id]


def _behind_first(rows: list[UnitRollup]) -> list[UnitRollup]:
    """Furthest behind first: most tasks overdue, then least done, then by name."""
    return sorted(
        rows, key=lambda u: (-u.subtree.open_overdue, u.subtree.pct_done or 0.0, u.unit_name)
    )


SORTS: dict[str, Callable[[list[UnitRollup]], list[UnitRollup]]] = {
    "cham-nhat": _behind_first,
    "ten": lambda rows: sorted(rows, key=lambda u: u.unit_name),
    "ty-le": lambda rows: sorted(rows, key=lambda u: -(u.subtree.pct_done or 0.0)),
}


def create_app(config: PortalConfig) -> ASGIApp:
    """The portal as an ASGI application (body limit → CSRF → FastAPI)."""
    portal = Portal(config)
    app = FastAPI(title="Cổng điều hành kehoach", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal

    @app.exception_handler(LoginNeeded)
    async def _login(request: Request, _exc: LoginNeeded) -> Response:
        target = quote(request.url.path)
        response = RedirectResponse(f"/dang-nhap?tiep={target}", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.exception_handler(HTTPException)
    async def _error(request: Request, exc: HTTPException) -> Response:
        return portal.render(request, "error.html", exc.status_code, message=exc.detail)

    @app.get("/static/portal.css")
    def css() -> FileResponse:
        return FileResponse(STATIC / "portal.css", media_type="text/css")

    # -- đăng nhập -----------------------------------------------------------------------

    @app.get("/dang-nhap", response_class=HTMLResponse)
    def login_form(request: Request, tiep: str = "/") -> HTMLResponse:
        return portal.render(request, "login.html", next=_safe_next(tiep))

    @app.post("/dang-nhap", response_model=None)
    def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        tiep: Annotated[str, Form()] = "/",
    ) -> Response:
        address = request.client.host if request.client else "?"
        if portal.throttle.blocked(username, address):
            return portal.render(
                request,
                "login.html",
                429,
                next=_safe_next(tiep),
                error="Đăng nhập sai quá nhiều lần. Thử lại sau ít phút.",
            )
        user = check_login(portal.engine, username, password)
        if user is None:
            portal.throttle.failed(username, address)
            return portal.render(
                request,
                "login.html",
                401,
                next=_safe_next(tiep),
                error="Tên đăng nhập hoặc mật khẩu không đúng.",
            )
        portal.throttle.succeeded(username, address)
        response = RedirectResponse(_safe_next(tiep), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            portal.sessions.cookie(user.username),
            max_age=config.session_seconds,
            httponly=True,
            samesite="lax",
            secure=config.secure_cookies,
        )
        return response

    @app.post("/dang-xuat")
    def logout() -> RedirectResponse:
        response = RedirectResponse("/dang-nhap", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        user = portal.user(request)
        return portal.render(request, "home.html", user=user, unit=_unit_name(portal, user))

    # -- dự thảo -------------------------------------------------------------------------

    @app.get("/du-thao", response_class=HTMLResponse)
    def drafts_index(request: Request) -> HTMLResponse:
        user = portal.user(request)
        found = [(c, len(c.visible(user.unit_id))) for c in cascades(config.out)]
        return portal.render(
            request, "cascades.html", user=user, cascades=[(c, n) for c, n in found if n]
        )

    @app.get("/du-thao/{plan}/{hierarchy}", response_class=HTMLResponse)
    def drafts(request: Request, plan: str, hierarchy: str) -> HTMLResponse:
        user = portal.user(request)
        cascade = _cascade_or_404(portal, plan, hierarchy)
        tree = cascade.children(user.unit_id)
        if not tree:
            raise HTTPException(403, "Bộ dự thảo này không có đơn vị nào thuộc phạm vi tài khoản")
        return portal.render(request, "drafts.html", user=user, cascade=cascade, tree=tree)

    @app.get("/du-thao/{plan}/{hierarchy}/kiem-tra", response_class=HTMLResponse)
    def lint(request: Request, plan: str, hierarchy: str) -> HTMLResponse:
        user = portal.user(request)
        cascade = _cascade_or_404(portal, plan, hierarchy)
        visible = {e.path: e for e in cascade.visible(user.unit_id)}
        if not visible:
            raise HTTPException(403, "Bộ dự thảo này không có đơn vị nào thuộc phạm vi tài khoản")
        findings = {p: f for p, f in cascade.findings().items() if p in visible}
        return portal.render(
            request,
            "lint.html",
            user=user,
            cascade=cascade,
            findings=[(visible[p], f) for p, f in findings.items()],
            checked=len(visible),
        )

    @app.get("/du-thao/{plan}/{hierarchy}/tep/{unit_id}", response_model=None)
    def draft_file(request: Request, plan: str, hierarchy: str, unit_id: str) -> FileResponse:
        user = portal.user(request)
        cascade = _cascade_or_404(portal, plan, hierarchy)
        entry = _entry_in_scope(cascade, unit_id, user)
        path = cascade.draft_file(entry)
        if not path.is_file():
            raise HTTPException(404, "Tệp dự thảo không còn trên đĩa")
        return FileResponse(
            path,
            filename=Path(entry.path).name,
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )

    @app.get("/du-thao/{plan}/{hierarchy}/zip", response_model=None)
    def drafts_zip_all(request: Request, plan: str, hierarchy: str) -> StreamingResponse:
        user = portal.user(request)
        cascade = _cascade_or_404(portal, plan, hierarchy)
        entries = cascade.visible(user.unit_id)
        if not entries:
            raise HTTPException(403, "Bộ dự thảo này không có đơn vị nào thuộc phạm vi tài khoản")
        return _zip_response(cascade, entries, f"{cascade.plan_key}.zip")

    @app.get("/du-thao/{plan}/{hierarchy}/zip/{unit_id}", response_model=None)
    def drafts_zip(request: Request, plan: str, hierarchy: str, unit_id: str) -> StreamingResponse:
        user = portal.user(request)
        cascade = _cascade_or_404(portal, plan, hierarchy)
        _entry_in_scope(cascade, unit_id, user)
        entries = cascade.visible(unit_id)
        return _zip_response(cascade, entries, f"{cascade.plan_key}-{unit_id}.zip")

    # -- ban hành -------------------------------------------------------------------------

    @app.get("/du-thao/{plan}/{hierarchy}/ban-hanh/{unit_id}", response_class=HTMLResponse)
    def issue_form(request: Request, plan: str, hierarchy: str, unit_id: str) -> HTMLResponse:
        user = portal.user(request)
        cascade = _cascade_or_404(portal, plan, hierarchy)
        entry = _entry_in_scope(cascade, unit_id, user)
        return portal.render(request, "issue.html", user=user, cascade=cascade, entry=entry)

    @app.post("/du-thao/{plan}/{hierarchy}/ban-hanh/{unit_id}", response_class=HTMLResponse)
    async def issue(
        request: Request,
        plan: str,
        hierarchy: str,
        unit_id: str,
        file: Annotated[UploadFile, File()],
        number: Annotated[str, Form()] = "",
        date: Annotated[str, Form()] = "",
        signer: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        user = portal.user(request)
        cascade = _cascade_or_404(portal, plan, hierarchy)
        entry = _entry_in_scope(cascade, unit_id, user)
        data = await file.read()
        shown = Path(file.filename or "ke-hoach.docx").name
        context: dict[str, Any] = {"user": user, "cascade": cascade, "entry": entry}
        if file_kind(data) is not FileKind.DOCX:
            context["error"] = f"{shown}: không phải tệp Word (.docx)"
            return portal.render(request, "issue.html", 422, **context)
        kept = keep_upload(config.uploads, data, FileKind.DOCX)
        try:
            overrides = Overrides.typed(
                number.strip() or None, _typed_date(date), signer.strip() or None
            )
            signed = read_issued(kept, cascade.folder)
            done = issue_plan(
                portal.engine,
                signed,
                data,
                cascade.draft_file(entry),
                entered_by=user.username,
                folder=cascade.folder,
                overrides=overrides,
            )
        except KehoachError as exc:
            # the server's folders are not the user's business: paths from the plan folder
            line = exc.lines()[0].replace(str(kept), shown)
            context["error"] = line.replace(f"{cascade.folder}/", "")
            return portal.render(request, "issue.html", 422, **context)
        finally:
            kept.unlink(missing_ok=True)
        context["done"] = done
        return portal.render(request, "issue.html", **context)

    # -- báo cáo tiến độ -----------------------------------------------------------------

    @app.get("/bao-cao-tien-do", response_class=HTMLResponse)
    def sheets(request: Request, ky: str | None = None) -> HTMLResponse:
        user = portal.user(request)
        period = _period(ky, config.period)
        r = portal.reporting()
        units = [r.h.unit(i) for i in r.reporting_units(user.unit_id)]
        return portal.render(
            request, "sheets.html", user=user, period=period, units=units, key=r.key
        )

    @app.get("/bao-cao-tien-do/mau/{unit_id}", response_model=None)
    def sheet(request: Request, unit_id: str, ky: str | None = None) -> Response:
        user = portal.user(request)
        period = _period(ky, config.period)
        r = portal.reporting()
        _planned_unit_in_scope(r, unit_id, user)
        data = sheet_bytes(r.h.unit(unit_id), r.plans, r.h, r.key, period)
        name = f"{unit_id}.{period.key}.xlsx"
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    @app.post("/bao-cao-tien-do", response_class=HTMLResponse)
    async def upload_sheets(
        request: Request, files: Annotated[list[UploadFile], File()]
    ) -> HTMLResponse:
        user = portal.user(request)
        period = _period(None, config.period)
        r = portal.reporting()
        problems: list[str] = []
        kept: list[tuple[Path, str]] = []
        for upload in files:
            data = await upload.read()
            shown = Path(upload.filename or "tệp").name
            if file_kind(data) is not FileKind.XLSX:
                problems.append(f"{shown}: không phải tệp Excel (.xlsx)")
                continue
            kept.append((keep_upload(config.uploads, data, FileKind.XLSX), shown))
        submissions = []
        if not problems and kept:
            try:
                submissions = read_files([p for p, _ in kept], r.plans, r.h, r.key, user.username)
            except IntakeError as exc:
                names = {str(p): shown for p, shown in kept}
                problems += [_shown(line, names) for line in exc.lines()]
        for prov, _statuses, _issues in submissions:
            if not r.in_scope(prov.unit_id, user.unit_id):
                problems.append(
                    f"{prov.source_name and Path(prov.source_name).name}: báo cáo của đơn vị "
                    f"{prov.unit_id}, không thuộc phạm vi của tài khoản"
                )
        status_code = 200
        done = None
        if problems:
            status_code = 422
        elif submissions:
            done = record(portal.engine, submissions)
        for path, _ in kept:
            path.unlink(missing_ok=True)
        units = [r.h.unit(i) for i in r.reporting_units(user.unit_id)]
        return portal.render(
            request,
            "sheets.html",
            status_code,
            user=user,
            period=period,
            units=units,
            key=r.key,
            problems=problems,
            done=done,
        )

    # -- tổng hợp ------------------------------------------------------------------------

    def _rollup_rows(
        user: User, don_vi: str | None, ky: str | None, sap_xep: str
    ) -> tuple[UnitRollup, list[UnitRollup], list[tuple[str, str]], Period, dt.date]:
        period = _period(ky, config.period)
        r = portal.reporting()
        target = don_vi or r.top_for(user.unit_id)
        if target not in r.h or target not in r.plans:
            raise HTTPException(404, "Không có đơn vị này trong kế hoạch")
        if not r.in_scope(target, user.unit_id):
            raise HTTPException(403, "Đơn vị này không thuộc phạm vi của tài khoản")
        unit = r.h.unit(target)
        as_of = min(dt.date.today(), period.deadline(unit.level))
        result = r.rollup(portal.engine, period, target, as_of)
        top = result.unit(target)
        children = SORTS.get(sap_xep, _behind_first)(
            [u for u in result.units if u.parent_unit_id == target]
        )
        path = [
            (u.id, u.name)
            for u in r.h.path(target)[:-1]
            if r.in_scope(u.id, user.unit_id) and u.id in r.plans
        ]
        return top, children, path, period, as_of

    @app.get("/tong-hop", response_class=HTMLResponse)
    def rollup(
        request: Request,
        don_vi: str | None = None,
        ky: str | None = None,
        sap_xep: Annotated[str, Query()] = "cham-nhat",
    ) -> HTMLResponse:
        user = portal.user(request)
        top, children, path, period, as_of = _rollup_rows(user, don_vi, ky, sap_xep)
        return portal.render(
            request,
            "rollup.html",
            user=user,
            top=top,
            children=children,
            path=path,
            period=period,
            as_of=as_of,
            sort=sap_xep,
        )

    @app.get("/tong-hop.xlsx", response_model=None)
    def rollup_xlsx(request: Request, don_vi: str | None = None, ky: str | None = None) -> Response:
        user = portal.user(request)
        top, children, _path, period, as_of = _rollup_rows(user, don_vi, ky, "cham-nhat")
        data = rollup_workbook(top, children, period, as_of)
        name = f"tong-hop-{top.unit_id}-{period.key}.xlsx"
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    # -- nhắc việc, báo cáo ----------------------------------------------------------------

    @app.get("/nhac-viec", response_class=HTMLResponse)
    def reminders_page(
        request: Request,
        ky: str | None = None,
        loai: str = "",
        don_vi: str = "",
        trang: Annotated[int, Query(ge=1)] = 1,
    ) -> HTMLResponse:
        user = portal.user(request)
        period = _period(ky, config.period)
        r = portal.reporting()
        as_of = dt.date.today()
        top = r.top_for(user.unit_id)
        found = r.reminders(portal.engine, period, top, as_of) if top in r.plans else []
        units = sorted({(x.unit_id, x.unit_name) for x in found}, key=lambda u: u[1])
        shown = [
            x
            for x in found
            if (not loai or x.kind == loai) and (not don_vi or don_vi in _chain(r, x.unit_id))
        ]
        pages = max(1, -(-len(shown) // PAGE))
        page = min(trang, pages)
        return portal.render(
            request,
            "reminders.html",
            user=user,
            period=period,
            as_of=as_of,
            reminders=shown[(page - 1) * PAGE : page * PAGE],
            total=len(shown),
            page=page,
            pages=pages,
            kinds=REMINDER_KINDS,
            kind=loai,
            units=units,
            unit=don_vi,
        )

    @app.get("/bao-cao", response_class=HTMLResponse)
    def report_form(request: Request, ky: str | None = None) -> HTMLResponse:
        user = portal.user(request)
        period = _period(ky, config.period)
        r = portal.reporting()
        ids = [u.id for level in r.h.levels(user.unit_id) for u in level]
        units = [r.h.unit(i) for i in ids if i in r.plans and not r.h.unit(i).is_department]
        return portal.render(request, "report.html", user=user, period=period, units=units)

    @app.get("/bao-cao/{unit_id}", response_model=None)
    def report_docx(request: Request, unit_id: str, ky: str | None = None) -> Response:
        user = portal.user(request)
        period = _period(ky, config.period)
        r = portal.reporting()
        _planned_unit_in_scope(r, unit_id, user)
        unit = r.h.unit(unit_id)
        as_of = min(dt.date.today(), period.deadline(unit.level))
        data = r.report(portal.engine, period, unit_id, as_of)
        name = f"bao-cao-{unit_id}.{period.key}.docx"
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    # -- kế hoạch ------------------------------------------------------------------------

    plans_folder = config.data / "portal" / "plans"

    def _received_or_404(token: str) -> Received:
        found = received(plans_folder, token)
        if found is None:
            raise HTTPException(404, "Không có kế hoạch đã tải lên với mã này")
        return found

    def _start_or_403(user: User, got: Received, start: str) -> str:
        r = portal.reporting()
        allowed = {u.id for u in start_units(r.h, got.plan, user.unit_id)}
        if start not in allowed:
            raise HTTPException(403, "Đơn vị bắt đầu không thuộc phạm vi của tài khoản")
        return start

    @app.get("/ke-hoach", response_class=HTMLResponse)
    def plan_form(request: Request) -> HTMLResponse:
        user = portal.user(request)
        return portal.render(request, "plan_upload.html", user=user)

    @app.post("/ke-hoach", response_model=None)
    async def plan_upload(request: Request, file: Annotated[UploadFile, File()]) -> Response:
        user = portal.user(request)
        data = await file.read()
        shown = Path(file.filename or "ke-hoach").name
        kind = file_kind(data)
        if kind not in (FileKind.DOCX, FileKind.PDF):
            return portal.render(
                request,
                "plan_upload.html",
                422,
                user=user,
                error=f"{shown}: không phải tệp Word (.docx) hay PDF",
            )
        assert kind is not None
        try:
            got = receive(plans_folder, data, kind, shown, portal.reporting().h)
        except KehoachError as exc:
            error = exc.lines()[0].replace(str(plans_folder), "").lstrip("/")
            return portal.render(request, "plan_upload.html", 422, user=user, error=error)
        return RedirectResponse(f"/ke-hoach/{got.token}", status_code=303)

    @app.get("/ke-hoach/{token}", response_class=HTMLResponse)
    def plan_review(request: Request, token: str) -> HTMLResponse:
        user = portal.user(request)
        got = _received_or_404(token)
        units = start_units(portal.reporting().h, got.plan, user.unit_id)
        return portal.render(request, "plan_review.html", user=user, got=got, units=units)

    @app.post("/ke-hoach/{token}/xac-nhan", response_class=HTMLResponse)
    def plan_confirm(request: Request, token: str, start: Annotated[str, Form()]) -> HTMLResponse:
        user = portal.user(request)
        got = _received_or_404(token)
        start = _start_or_403(user, got, start)
        r = portal.reporting()
        try:
            count = drafts_to_write(got.plan, r.h, config.hierarchy, config.out, start)
        except KehoachError as exc:
            raise HTTPException(422, exc.lines()[0]) from None
        return portal.render(
            request,
            "plan_confirm.html",
            user=user,
            got=got,
            start=r.h.unit(start),
            count=count,
        )

    @app.post("/ke-hoach/{token}/chay", response_model=None)
    def plan_run(request: Request, token: str, start: Annotated[str, Form()]) -> Response:
        user = portal.user(request)
        got = _received_or_404(token)
        start = _start_or_403(user, got, start)
        from flows.trigger import trigger  # Prefect's client, loaded only to start a run

        params: dict[str, Any] = {
            "plan": str(got.plan_file.resolve()),
            "hierarchy": config.hierarchy,
            "out": str(config.out.resolve()),
            "start": start,
        }
        try:
            run = trigger("cascade/cascade", params, watch=False)
        except KehoachError as exc:
            raise HTTPException(503, exc.lines()[0]) from None
        return RedirectResponse(f"/ke-hoach/luot-chay/{run.id}", status_code=303)

    @app.get("/ke-hoach/luot-chay/{run_id}", response_class=HTMLResponse)
    def plan_progress(request: Request, run_id: str) -> HTMLResponse:
        """The cascade run the user started, followed live: the page reloads itself every few
        seconds until the run ends. Only a cascade into this portal's output folder, from a
        unit in the user's subtree, is shown (a run id is not a key to other units' work)."""
        user = portal.user(request)
        try:
            run_id = str(uuid.UUID(run_id))
        except ValueError:
            raise HTTPException(404, "Không có lượt chạy này") from None
        from flows.trigger import run_progress  # over HTTP; no Prefect import

        api = os.environ.get("PREFECT_API_URL", "")
        run = run_progress(api, run_id) if api else None
        if run is None:
            raise HTTPException(404, "Không có lượt chạy này")
        start, out = run.parameters.get("start"), run.parameters.get("out")
        if not (
            isinstance(start, str)
            and out == str(config.out.resolve())
            and portal.reporting().in_scope(start, user.unit_id)
        ):
            raise HTTPException(403, "Lượt chạy không thuộc phạm vi của tài khoản")
        url = f"{api.removesuffix('/api')}/runs/flow-run/{run.id}"
        # The run's summary as the operator reads it, less the server's folders (Dự thảo
        # is where the drafts are, for the portal's users).
        summary = [
            line
            for s in run.summaries
            if s.type == "markdown"
            for line in s.markdown.splitlines()
            if line.strip() and "`/" not in line
        ]
        return portal.render(
            request, "plan_started.html", user=user, run=run, url=url, summary=summary
        )

    protected = asgi_csrf(
        app,
        signing_secret=config.signing_secret(),
        always_protect=_Everywhere(),
        cookie_secure=config.secure_cookies,
    )
    return BodyLimit(protected, config.max_upload_bytes)


def _planned_unit_in_scope(r: Reporting, unit_id: str, user: User) -> None:
    """404 for a unit the plan does not reach, 403 for one outside the user's subtree: the
    one check before a unit's sheet or report is made."""
    if unit_id not in r.h or unit_id not in r.plans:
        raise HTTPException(404, "Không có đơn vị này trong kế hoạch")
    if not r.in_scope(unit_id, user.unit_id):
        raise HTTPException(403, "Đơn vị này không thuộc phạm vi của tài khoản")


PAGE = 50  # reminders per page
REMINDER_KINDS = {
    "plan-missing": "Chưa ban hành kế hoạch",
    "report-missing": "Chưa nộp báo cáo",
    "task-overdue": "Nhiệm vụ quá hạn",
    "task-due-soon": "Nhiệm vụ sắp đến hạn",
}


def _chain(r: Reporting, unit_id: str) -> set[str]:
    return {u.id for u in r.h.path(unit_id)} if unit_id in r.h else {unit_id}


def _typed_date(text: str) -> dt.date | None:
    """A date typed dd/mm/yyyy (empty: as the document says)."""
    if not text.strip():
        return None
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise KehoachError(f"ngày {text!r} không đúng dạng dd/mm/yyyy") from None


def _safe_next(target: str) -> str:
    """Where to go after login: a path of this site only (never another host)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _shown(line: str, names: dict[str, str]) -> str:
    """An intake error line with the server's file name replaced by the one uploaded."""
    for stored, shown in names.items():
        line = line.replace(stored, shown)
    return line


def _unit_name(portal: Portal, user: User) -> str:
    try:
        r = portal.reporting()
    except Exception:  # the page still says who is logged in if the plan cannot be read
        return user.unit_id
    return r.h.unit(user.unit_id).name if user.unit_id in r.h else user.unit_id


def _zip_response(cascade: Cascade, entries: list[ManifestEntry], name: str) -> StreamingResponse:
    return StreamingResponse(
        zip_stream(cascade, entries),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


ROLLUP_COLUMNS = [
    ("Đơn vị", 40),
    ("Số nhiệm vụ", 12),
    ("Hoàn thành đúng hạn", 14),
    ("Hoàn thành trễ hạn", 14),
    ("Đang thực hiện trong hạn", 14),
    ("Quá hạn", 10),
    ("% hoàn thành", 12),
    ("Chưa ban hành kế hoạch", 14),
    ("Báo cáo đã nộp", 12),
    ("Báo cáo còn thiếu", 12),
]


def rollup_workbook(
    top: UnitRollup, children: list[UnitRollup], period: Period, as_of: dt.date
) -> bytes:
    """The roll-up of ``top`` and its children as an XLSX: one row per unit, subtree figures."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "TongHop"
    ws["A1"] = f"TỔNG HỢP {top.unit_name.upper()} — {period.words.upper()} — ĐẾN {vn_date(as_of)}"
    ws["A1"].font = Font(bold=True)
    for col, (title, width) in enumerate(ROLLUP_COLUMNS, start=1):
        cell = ws.cell(row=3, column=col, value=title)
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = width
    for row, u in enumerate([top, *children], start=4):
        s = u.subtree
        values: list[str | int | float | None] = [
            u.unit_name,
            s.tasks,
            s.done_on_time,
            s.done_late,
            s.open_on_time,
            s.open_overdue,
            round(s.pct_done, 1) if s.pct_done is not None else None,
            s.plans_missing,
            s.reports_submitted,
            s.reports_missing,
        ]
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
