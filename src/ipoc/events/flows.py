"""An event's states as an explicit table: draft → open for sign-up → sign-up closed → held, or cancelled
with a reason from any state before it is held. Every step belongs to the organising center's staff; the
time conditions (a sign-up window still ahead, a start already past) are checked by the service."""

from __future__ import annotations

from ipoc.events.models import EVENT_STATES, EventState
from ipoc.workflow import Machine, Transition

S = EventState
EDITABLE = frozenset({S.DRAFT, S.OPEN, S.CLOSED})  # details and presented items may still change
PUBLISHED = frozenset({S.OPEN, S.CLOSED, S.HELD})  # announced and not cancelled
SIGNED_UP_MAY_WITHDRAW = frozenset({S.OPEN, S.CLOSED})

TRANSITIONS: tuple[Transition, ...] = (
    Transition("open", "开放报名", {S.DRAFT}, S.OPEN, "center"),
    Transition("close", "截止报名", {S.OPEN}, S.CLOSED, "center"),
    Transition("reopen", "重新开放报名", {S.CLOSED}, S.OPEN, "center"),
    # A draft may be marked held directly: the staff record an event held before it was entered here.
    Transition("hold", "标记为已举办", {S.DRAFT, S.OPEN, S.CLOSED}, S.HELD, "center"),
    Transition("cancel", "取消活动", {S.DRAFT, S.OPEN, S.CLOSED}, S.CANCELLED, "center", needs_reason=True),
)

EVENTS = Machine(
    name="events",
    title="对接活动",
    states=EventState,
    labels=EVENT_STATES,
    owners={"center": "主办运营中心工作人员"},
    transitions=TRANSITIONS,
    initial=S.DRAFT,
    terminal=frozenset({S.HELD, S.CANCELLED}),
    wrong_state="活动当前为「{state}」，不能{action}",
    audit_text="{action}：{reason}",
)
BY_ACTION = EVENTS.by_action
