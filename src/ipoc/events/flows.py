"""An event's states as an explicit table: draft → open for sign-up → sign-up closed → held, or cancelled
with a reason from any state before it is held. Every step belongs to the organising center's staff; the
time conditions (a sign-up window still ahead, a start already past) are checked by the service."""

from __future__ import annotations

from dataclasses import dataclass

from ipoc.events.models import EVENT_STATES

EDITABLE = frozenset({"draft", "open", "closed"})  # details and presented items may still change
PUBLISHED = frozenset({"open", "closed", "held"})  # announced and not cancelled


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    reason_required: bool = False


def _t(action: str, label: str, sources: set[str], target: str, *, reason: bool = False) -> Transition:
    return Transition(action, label, frozenset(sources), target, reason)


TRANSITIONS: tuple[Transition, ...] = (
    _t("open", "开放报名", {"draft"}, "open"),
    _t("close", "截止报名", {"open"}, "closed"),
    _t("reopen", "重新开放报名", {"closed"}, "open"),
    # A draft may be marked held directly: the staff record an event held before it was entered here.
    _t("hold", "标记为已举办", {"draft", "open", "closed"}, "held"),
    _t("cancel", "取消活动", {"draft", "open", "closed"}, "cancelled", reason=True),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


def available(state: str) -> list[Transition]:
    """The steps the organising staff may take from ``state``, in table order."""
    return [t for t in TRANSITIONS if state in t.sources]


def refusal(t: Transition, state: str) -> str:
    """Why ``t`` cannot be taken from ``state`` (a 409 message)."""
    return f"活动当前为「{EVENT_STATES.get(state, state)}」，不能{t.label}"
