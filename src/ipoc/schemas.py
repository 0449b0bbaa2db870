"""Shared input rules: ids that fit every database's integer, no NUL characters in any text, no unknown fields;
and the API's timestamps, always with Beijing's offset."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, time
from typing import Annotated, Any, TypeVar

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from ipoc.clock import CHINA, in_china

M = TypeVar("M", bound=BaseModel)
MAX_ID = 2_147_483_647  # PostgreSQL INTEGER; larger ids cannot exist, so they are refused, not looked up

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A filter form's "all" option sends the field empty: that means no filter, not a bad id.
_ALL = {"type": "string", "enum": [""], "description": "留空：不筛选"}
_QUERY_ID_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, _ALL, {"type": "null"}]}
QueryId = Annotated[
    Id | None, BeforeValidator(lambda v: None if v == "" else v), WithJsonSchema(_QUERY_ID_SCHEMA), Query()
]
PageNo = Annotated[int, Query(ge=1, le=100_000)]


def _from_beijing(moment: datetime) -> datetime:
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment.astimezone(CHINA)


# Every datetime an API response carries is written with Beijing's offset (2026-05-01T16:00:00+08:00): a client
# in any zone reads the same moment. Python-side dumps stay naive, as the templates and services expect them.
# A stored timestamp (``db.utcnow``: naive UTC) is converted …
Timestamp = Annotated[datetime, PlainSerializer(in_china, return_type=datetime, when_used="json")]
# … a wall-clock time entered in Beijing (an event's start, a sign-up deadline) is only labelled.
BeijingTime = Annotated[datetime, PlainSerializer(_from_beijing, return_type=datetime, when_used="json")]
# A time of day in Beijing (a roadshow slot): "14:00:00+08:00", a valid RFC 3339 full-time.
BeijingClock = Annotated[time, PlainSerializer(lambda t: f"{t:%H:%M:%S}+08:00", return_type=str, when_used="json")]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


# True while a web page's request is served (set by the app's middleware): an HTML form may post fields of its page
# that the model does not hold (values shown again, buttons), which are dropped; an API body naming a field the
# model does not know is refused.
FORM_INPUT: ContextVar[bool] = ContextVar("ipoc_form_input", default=False)


class Input(BaseModel):
    """Base of every input model: PostgreSQL cannot store NUL in text, so it is refused up front; an unknown field
    is refused, not ignored (a mistyped filter must not widen an export to the whole database)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("内容含有不允许的空字符（NUL）")
        return data

    @model_validator(mode="before")
    @classmethod
    def _form_fields_only(cls, data: Any) -> Any:
        """Runs after a subclass's own before-validators, so keys they consume (condition_1 …) are gone already."""
        if not FORM_INPUT.get() or not isinstance(data, dict):
            return data
        known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
        return {k: v for k, v in data.items() if k in known}


def request_input(model: type[M], data: Any) -> M:
    """Validate input a route assembled itself (a partial update over the stored record, a body with more than one
    shape) and refuse it with the same 422 details a declared request body gets."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
