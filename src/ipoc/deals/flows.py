"""The deal's stages as an explicit transition table, with the data each step needs.

intention (意向) → negotiation (洽谈) → signed (合同签订) → recorded (备案/登记); abandoned (终止, with a reason)
from any open stage. A deal may be signed straight from intention (the talks were not recorded separately).
Every step belongs to the staff of the deal's center ("center"); the region bureau, the league/city bureau
and the parties read the deal but move nothing. ``requires`` names the input fields a step cannot do without
(a missing one is refused with 422 naming the field); the date rules (not in the future, not before the
previous stage) are checked in the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from ipoc.auth.roles import Principal, Role

OPEN_STAGES = frozenset({"intention", "negotiation", "signed"})
CLOSED_STAGES = frozenset({"recorded", "abandoned"})
# Stages whose deals are contracts: they feed the center's conversion figures (when the mode counts).
CONTRACT_STAGES = frozenset({"signed", "recorded"})

FIELD_LABELS = {
    "negotiation_on": "洽谈日期",
    "signed_on": "合同签订日期",
    "amount_wan": "合同金额（万元）",
    "contract_no": "合同编号",
    "application_nos": "涉及专利（申请号）",
    "recorded_on": "备案/登记日期",
    "record_no": "备案/登记号",
    "abandoned_on": "终止日期",
    "reason": "终止原因",
    "licence_start": "许可期限起",
    "licence_end": "许可期限止",
    "territory": "许可地域范围",
}


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    date_field: str  # the day the step happened; defaults to today where not required
    requires: tuple[str, ...] = ()
    owner: str = "center"


TRANSITIONS: tuple[Transition, ...] = (
    Transition("negotiate", "进入洽谈", frozenset({"intention"}), "negotiation", "negotiation_on", ("negotiation_on",)),
    Transition(
        "sign",
        "合同签订",
        frozenset({"intention", "negotiation"}),
        "signed",
        "signed_on",
        ("signed_on", "amount_wan", "contract_no", "application_nos"),
    ),
    Transition("record", "备案/登记", frozenset({"signed"}), "recorded", "recorded_on", ("recorded_on", "record_no")),
    Transition("abandon", "终止", OPEN_STAGES, "abandoned", "abandoned_on", ("reason",)),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


def owners_for(principal: Principal, center_id: int) -> set[str]:
    """The workflow roles ``principal`` holds for a deal of ``center_id``."""
    if principal.role is Role.CENTER_STAFF and principal.center_id == center_id:
        return {"center"}
    return set()


def available(stage: str, owners: set[str]) -> list[Transition]:
    """Steps a caller holding ``owners`` may take from ``stage``, in table order."""
    return [t for t in TRANSITIONS if t.owner in owners and stage in t.sources]
