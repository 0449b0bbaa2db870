"""The API's one error shape: RFC 9457 problem details with a stable machine ``code``, and its OpenAPI description.

A client branches on ``status`` and ``code`` (stable, English), shows ``detail`` (Chinese) and quotes ``request_id``
to an administrator; validation errors list every refused field in ``errors``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ipoc.errors import DomainError

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持该操作",
    409: "与现有数据冲突",
    413: "上传内容过大",
    415: "不支持的内容类型",
    422: "提交的内容有误",
    500: "系统内部错误",
    503: "服务暂时不可用",
}
CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    500: "internal_error",
    503: "busy",
}
# What every API operation may answer besides its own success: 401/403 (no or wrong role, a password to change),
# 404 (an unknown id), 400 (a NUL in the address), 409 (not in this state: a panel's results before it closes),
# 422 (a parameter out of range), 503 (busy); writes also 413.
COMMON_STATUSES = (400, 401, 403, 404, 409, 422, 503)
WRITE_STATUSES = (413,)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Operations that answer a file (a FileResponse FastAPI cannot see): their 200 is documented as what they send.
DOWNLOADS = {
    ("/api/v1/patents/imports/{job_id}/report", "get"): (XLSX, "text/csv"),
    ("/api/v1/patents/exports/{job_id}/file", "get"): ("text/csv", XLSX),
}


class ValidationItem(BaseModel):
    loc: list[str | int] = Field(description="出错位置，如 ['body', 'name']")
    msg: str = Field(description="中文说明")
    type: str = Field(description="错误类型（机器可读）")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="问题类型 URI（urn:ipoc:problem:<code>）")
    title: str = Field(description="该状态码的中文标题")
    status: int = Field(description="HTTP 状态码")
    detail: str = Field(description="中文说明")
    code: str = Field(description="稳定的机器可读错误码，如 not_found、validation_error")
    request_id: str = Field(description="请求编号，向管理员反映问题时提供")
    field: str | None = Field(default=None, description="出错的字段（已知时）")
    errors: list[ValidationItem] | None = Field(default=None, description="校验错误（仅 validation_error）")


def domain_code(exc: DomainError) -> str:
    """A domain refusal's code: its class's own ``code`` where it names one, else its status's."""
    return exc.code or CODES.get(exc.status_code, "bad_request")


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    code: str | None = None,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    code = code or CODES.get(status, "bad_request")
    body: dict[str, Any] = {
        "type": f"urn:ipoc:problem:{code}",
        "title": TITLES.get(status, "请求有误"),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": getattr(request.state, "request_id", "-"),
    }
    if field:
        body["field"] = field
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": TITLES[status],
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def document(schema: dict[str, Any], prefix: str = "/api/v1") -> dict[str, Any]:
    """Give every API operation the problem responses it can answer, in place of FastAPI's default 422 body."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    own = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(own.pop("$defs", {}))
    components["Problem"] = own
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(prefix):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if (path, method) in DOWNLOADS:
                binary = {"schema": {"type": "string", "format": "binary"}}
                operation["responses"]["200"]["content"] = {media: binary for media in DOWNLOADS[path, method]}
            statuses = COMMON_STATUSES + (WRITE_STATUSES if method in ("post", "put", "patch", "delete") else ())
            for status in statuses:
                operation["responses"][str(status)] = _problem_response(status)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
