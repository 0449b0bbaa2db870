"""Shared input rules: ids that fit every database's integer, and no NUL characters in any text."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator

M = TypeVar("M", bound=BaseModel)
MAX_ID = 2_147_483_647  # PostgreSQL INTEGER; larger ids cannot exist, so they are refused, not looked up

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A filter form's "all" option sends the field empty: that means no filter, not a bad id.
QueryId = Annotated[Id | None, BeforeValidator(lambda v: None if v == "" else v), Query()]
PageNo = Annotated[int, Query(ge=1, le=100_000)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Input(BaseModel):
    """Base of every input model: PostgreSQL cannot store NUL in text, so it is refused up front."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("内容含有不允许的空字符（NUL）")
        return data


def request_input(model: type[M], data: Any) -> M:
    """Validate input a route assembled itself (a partial update over the stored record, a body with more than one
    shape) and refuse it with the same 422 details a declared request body gets."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
