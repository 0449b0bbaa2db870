"""Input and output shapes of the working-day calendar."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ipoc.schemas import Input
from ipoc.workdays.service import MAX_WORKING_DAYS, FirstDay


class DayIn(Input):
    """One day's override, as the admin enters it."""

    day: date = Field(title="日期")
    kind: Literal["holiday", "workday"] = Field(title="类型")
    note: str = Field(default="", max_length=100, title="备注")

    @field_validator("note", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class CalculationIn(Input):
    start: date = Field(title="起始日")
    n: int = Field(ge=1, le=MAX_WORKING_DAYS, title="工作日数")
    first_day: FirstDay = Field(default="counts", title="首日")


class CalculationOut(BaseModel):
    start: date
    n: int
    first_day: FirstDay
    end: date


class YearOut(BaseModel):
    year: int
    source: str
