"""Form parsing with errors next to each field, in Chinese."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from ipoc.auth.roles import Principal
from ipoc.errors import DomainError
from ipoc.orgs import service as org_service
from ipoc.orgs.models import Organisation
from ipoc.uploads import Upload

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

_MESSAGES = {
    "missing": "此项为必填",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "请输入整数",
    "int_type": "请输入整数",
    "float_parsing": "请输入数字",
    "decimal_parsing": "请输入数字",
    "bool_parsing": "请选择是或否",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "必须大于 {gt}",
    "less_than": "必须小于 {lt}",
    "enum": "请从列表中选择",
    "literal_error": "请从列表中选择",
    "json_invalid": "内容不是有效的 JSON",
}


def zh_message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return _MESSAGES["missing"]
    template = _MESSAGES.get(kind)
    return template.format(**ctx) if template else "输入不正确"


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][-1]) if error["loc"] else "__all__"
        errors.setdefault(field, zh_message(error))
    return errors


class FormResult(Generic[M]):
    def __init__(self, values: dict[str, Any], data: M | None, errors: dict[str, str]) -> None:
        self.values = values
        self.data = data
        self.errors = errors
        self._refusal_status: int | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors

    @property
    def status(self) -> int:
        """The status a refused form is shown again with: the refusal's own (409 for a wrong state …),
        422 for invalid input."""
        return self._refusal_status or 422

    def fail(self, exc: DomainError) -> None:
        """Show a service-layer refusal next to its field (or above the form)."""
        self.errors[exc.field or "__all__"] = exc.message
        self.data = None
        self._refusal_status = exc.status_code


@contextmanager
def refusable(session: Session) -> Iterator[None]:
    """Run an action a service may refuse inside a savepoint: a refusal (any error) undoes exactly the action's
    writes, while what the request wrote before it stays and is committed with the request. This is the one way a
    view recovers from a refusal; no view rolls the request back by hand."""
    with session.begin_nested():
        yield


def attempt(session: Session, form: FormResult[Any], action: Callable[[], T]) -> T | None:
    """Run a service call for a valid form and answer what it returned; on refusal undo what it wrote (see
    ``refusable``), show why on the form and answer None (``form.errors`` tells a refusal from a call that returns
    nothing)."""
    if not form.ok:
        return None
    try:
        with refusable(session):
            return action()
    except DomainError as exc:
        form.fail(exc)
        return None


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop (reading the body is the only await a form post needs).

    Routes take it as a ``Posted`` parameter and stay plain ``def``: their database, hashing and file
    work then runs in the thread pool, never on the loop. Starlette caches the parsed form on the request,
    so ``csrf_protect`` and this dependency read the body once between them.
    """
    return await request.form()


Posted = Annotated[FormData, Depends(posted_form)]


def as_upload(file: UploadFile) -> Upload:
    """The framework's upload as services take it."""
    return Upload(file.filename or "", file.file)


def posted_upload(value: object) -> Upload | None:
    """A posted form field's file (named "" when none was chosen); None when the field holds no file at all."""
    return as_upload(value) if isinstance(value, UploadFile) else None


@dataclass(frozen=True)
class OrgFields:
    """The fields of a form that name an organisation. People choose it by name (type-ahead from /orgs/options,
    or the exact name typed without script), never by its internal number; the server resolves the name."""

    session: Session
    principal: Principal
    fields: tuple[str, ...]

    def resolve(self, raw: dict[str, Any]) -> dict[str, str]:
        """Replace each named organisation in ``raw`` by its id; answer the names that resolve to none or to
        several, per field (such a field is dropped from ``raw``, so it is reported once)."""
        errors: dict[str, str] = {}
        for field in self.fields:
            if isinstance(raw.get(field), str):
                try:
                    raw[field] = org_service.org_id_by_name(self.session, self.principal, raw[field], field=field)
                except DomainError as exc:
                    errors[field] = exc.message
                    del raw[field]
        return errors

    def show(self, values: dict[str, Any]) -> dict[str, Any]:
        """Values as the form shows them: the organisation's name where a record or default holds its id."""
        ids = {f: values[f] for f in self.fields if isinstance(values.get(f), int)}
        found = select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids.values()))
        names = {org_id: name for org_id, name in self.session.execute(found)} if ids else {}
        return {**values, **{f: names.get(org_id, "") for f, org_id in ids.items()}}


def parse_form(
    posted: FormData, model: type[M], *, lists: tuple[str, ...] = (), orgs: OrgFields | None = None
) -> FormResult[M]:
    """Validate a posted form, reporting every field's error at once; the fields named in ``lists`` (checkbox
    groups) arrive as lists, those of ``orgs`` as organisation names."""
    values: dict[str, Any] = {k: v for k, v in posted.items() if k != "csrf_token" and isinstance(v, str)}
    values.update({name: [v for v in posted.getlist(name) if isinstance(v, str)] for name in lists})
    raw = {k: v for k, v in values.items() if (v.strip() if isinstance(v, str) else v)}  # blank: "not given"
    errors = orgs.resolve(raw) if orgs else {}
    try:
        data = model.model_validate(raw)
    except ValidationError as exc:
        return FormResult(values, None, field_errors(exc) | errors)
    return FormResult(values, None if errors else data, errors)


def submit(
    posted: FormData,
    session: Session,
    model: type[M],
    action: Callable[[M], T],
    *,
    lists: tuple[str, ...] = (),
    orgs: OrgFields | None = None,
) -> tuple[FormResult[M], T | None]:
    """Parse and validate a posted form, then ``attempt`` the service call on its data: (the form, the result)."""
    form = parse_form(posted, model, lists=lists, orgs=orgs)
    data = form.data
    return form, (attempt(session, form, lambda: action(data)) if data is not None else None)


def see_other(path: str) -> RedirectResponse:
    """Where a successful form post goes next (303, so a reload does not post it again)."""
    return RedirectResponse(path, status_code=303)
