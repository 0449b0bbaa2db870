"""Input and output shapes of events. Times are entered as Beijing wall-clock time ("2026-12-10 14:00" or
the browser's "2026-12-10T14:00"); required texts are refused with a message that names the field."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator

from ipoc import clock
from ipoc.schemas import BeijingClock, BeijingTime, Id, Input

Kind = Literal["matchmaking", "roadshow"]
Audience = Literal["public", "members"]
ParticipantRole = Literal["seeker", "provider", "investor", "audience"]
# A mobile number, or a landline with its area code (0471-6000001, 0471 6000001-123).
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8}([- ]\d{1,6})?)$")


def _moment(value: object) -> object:
    """Beijing wall-clock time, naive; an aware value is converted to it."""
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?", text):
            raise ValueError("时间格式应为 YYYY-MM-DD HH:MM")
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("时间不存在，请检查日期和时刻") from None
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(clock.CHINA).replace(tzinfo=None)
    return value


def _clock_time(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", text):
            raise ValueError("时刻格式应为 HH:MM")
        try:
            return time.fromisoformat(text.zfill(5) if len(text) == 4 else text)
        except ValueError:
            raise ValueError("时刻不存在，请检查") from None
    return value


Moment = Annotated[datetime, BeforeValidator(_moment)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class _Named(Input):
    """Strips texts, and refuses a blank required text as "请填写<field title>"."""

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @classmethod
    def _need(cls, value: str, info: ValidationInfo) -> str:
        if len(value) < 2:
            title = cls.model_fields[info.field_name or ""].title or info.field_name
            raise ValueError(f"请填写{title}（至少 2 个字符）")
        return value


class EventIn(_Named):
    kind: Kind = Field(title="活动类型")
    title: str = Field(default="", max_length=200, validate_default=True, title="活动名称")
    starts_at: Moment = Field(title="开始时间")
    ends_at: Moment | None = Field(default=None, title="结束时间")
    place: str = Field(default="", max_length=200, validate_default=True, title="活动地点")
    organisers: str = Field(default="", max_length=1000, validate_default=True, title="主办/承办单位")
    description: str = Field(default="", max_length=8000, title="活动介绍")
    capacity: int | None = Field(default=None, le=100_000, title="人数上限（单位数）")
    signup_deadline: Moment | None = Field(default=None, title="报名截止时间")
    audience: Audience = Field(default="public", title="开放范围")

    @field_validator("title", "place", "organisers")
    @classmethod
    def _required(cls, value: str, info: ValidationInfo) -> str:
        return cls._need(value, info)

    @field_validator("capacity")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("人数上限至少为 1 家单位；不限人数请留空")
        return value


class SignupIn(_Named):
    """A member signs up its own organisation: one person who comes, how to reach them, in which role."""

    person_name: str = Field(default="", max_length=40, validate_default=True, title="参会人姓名")
    phone: str = Field(default="", max_length=40, title="联系电话")
    role: ParticipantRole = Field(title="参会身份")

    @field_validator("person_name")
    @classmethod
    def _required(cls, value: str, info: ValidationInfo) -> str:
        return cls._need(value, info)

    @field_validator("phone", mode="after")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not PHONE.fullmatch(value):
            raise ValueError("联系电话应为 11 位手机号或带区号的固定电话")
        return value


class WalkInIn(SignupIn):
    """The staff enter someone who came without signing up: a registered organisation or just its name."""

    org_id: Id | None = Field(default=None, title="参会单位（平台单位编号）")
    org_name: str = Field(default="", max_length=120, title="参会单位名称")


class ItemIn(_Named):
    demand_id: Id | None = Field(default=None, title="技术需求")
    offer_id: Id | None = Field(default=None, title="技术供给")
    presenter: str = Field(default="", max_length=100, title="发布人")
    slot_start: ClockTime | None = Field(default=None, title="开始时刻")
    slot_end: ClockTime | None = Field(default=None, title="结束时刻")


class AttendanceIn(Input):
    """The sign-ups that came; every other sign-up of the event is marked absent."""

    attended: list[Id] = Field(default_factory=list, max_length=10_000, title="出席单位")


class CancelIn(_Named):
    reason: str = Field(default="", max_length=2000, validate_default=True, title="取消原因")

    @field_validator("reason")
    @classmethod
    def _required(cls, value: str, info: ValidationInfo) -> str:
        return cls._need(value, info)


class EventOut(BaseModel):
    id: int
    center_id: int | None
    center: str | None
    kind: str
    kind_label: str
    title: str
    starts_at: BeijingTime
    ends_at: BeijingTime | None
    place: str
    organisers: str
    description: str
    capacity: int | None
    signup_deadline: BeijingTime | None
    public: bool
    state: str
    state_label: str
    status: str  # = state, the key API clients read before
    status_label: str
    cancel_reason: str
    signups: int
    attended: int
    attendance_rate: float | None


class ItemOut(BaseModel):
    id: int
    position: int
    kind: Literal["demand", "offer"]
    demand_id: int | None
    offer_id: int | None
    title: str
    org: str
    summary: str
    presenter: str
    slot_start: BeijingClock | None
    slot_end: BeijingClock | None


class SignupOut(BaseModel):
    """``person_name`` and ``phone`` are None for a caller who sees only which organisations take part."""

    id: int
    org_id: int | None
    org_name: str
    person_name: str | None
    phone: str | None
    role: str
    role_label: str
    source: str
    attended: bool | None


class AttendanceOut(BaseModel):
    signups: int
    attended: int
    attendance_rate: float | None
