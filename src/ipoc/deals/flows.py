"""The deal's stages as an explicit transition table, with the data each step needs.

intention (意向) → negotiation (洽谈) → signed (合同签订) → recorded (备案/登记); abandoned (终止, with a reason)
from any open stage. A deal may be signed straight from intention (the talks were not recorded separately).
Every step belongs to the staff of the deal's center ("center"); the region bureau, the league/city bureau
and the parties read the deal but move nothing. ``requires`` names the input fields a step cannot do without
(a missing one is refused with 422 naming the field); the date rules (not in the future, not before the
previous stage) are checked in the service.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ipoc.auth.roles import Principal, Role
from ipoc.deals.models import CONTACT_STATES, STAGES, ContactState, DealState, DealStep
from ipoc.workflow import Machine, Step, Transition

S = DealState
OPEN_STAGES = frozenset({S.INTENTION, S.NEGOTIATION, S.SIGNED})
CLOSED_STAGES = frozenset({S.RECORDED, S.ABANDONED})
# Stages whose deals are contracts: they feed the center's conversion figures (when the mode counts).
CONTRACT_STAGES = frozenset({S.SIGNED, S.RECORDED})
STAFF_ONLY = "只有本运营中心的工作人员可以办理"

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
CONTRACT_DATA = ("signed_on", "amount_wan", "contract_no", "application_nos")

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "negotiate",
        "进入洽谈",
        {S.INTENTION},
        S.NEGOTIATION,
        "center",
        date_field="negotiation_on",
        requires=("negotiation_on",),
    ),
    Transition(
        "sign",
        "合同签订",
        {S.INTENTION, S.NEGOTIATION},
        S.SIGNED,
        "center",
        date_field="signed_on",
        requires=CONTRACT_DATA,
    ),
    Transition(
        "record",
        "备案/登记",
        {S.SIGNED},
        S.RECORDED,
        "center",
        date_field="recorded_on",
        requires=("recorded_on", "record_no"),
    ),
    Transition("abandon", "终止", OPEN_STAGES, S.ABANDONED, "center", date_field="abandoned_on", requires=("reason",)),
)


def date_field(t: Transition) -> str:
    """The input naming the day ``t`` happened: every deal step has one."""
    assert t.date_field is not None, t.action  # the table above gives each step its date_field
    return t.date_field


def _record(_session: Session, deal: Any, step: Step) -> None:
    """The deal's timeline row: the business day of the step (``last_step_on``, set with it) and its note."""
    deal.steps.append(
        DealStep(
            action=step.transition.action,
            from_stage=step.source,
            to_stage=step.target,
            on=deal.last_step_on,
            note=step.reason,
            by_id=step.actor.user_id,
        )
    )


DEALS = Machine(
    name="deals",
    title="技术合同交易",
    states=DealState,
    labels=STAGES,
    owners={"center": "承办运营中心工作人员"},
    transitions=TRANSITIONS,
    initial=S.INTENTION,
    terminal=CLOSED_STAGES,
    wrong_state="交易处于“{state}”阶段，不能{action}",
    wrong_owner=STAFF_ONLY,
    audit_text="{action}：{reason}",
    record_step=_record,
)
BY_ACTION = DEALS.by_action


C = ContactState
# A contact (对接记录) is followed up by its center's staff until it becomes a deal or is closed with a reason.
CONTACTS = Machine(
    name="contacts",
    title="对接记录",
    states=ContactState,
    labels=CONTACT_STATES,
    owners={"center": "承办运营中心工作人员"},
    transitions=(
        Transition("close", "关闭对接", {C.OPEN}, C.CLOSED, "center", needs_reason=True),
        Transition("to_deal", "形成交易", {C.OPEN}, C.DEAL, "center"),
    ),
    initial=C.OPEN,
    terminal=frozenset({C.DEAL, C.CLOSED}),
    wrong_state="对接为“{state}”状态，不能{action}",
    wrong_owner=STAFF_ONLY,
    audit_text="{action}：{reason}",
)


def owners_for(principal: Principal, center_id: int) -> set[str]:
    """The workflow roles ``principal`` holds for a deal of ``center_id``."""
    if principal.role is Role.CENTER_STAFF and principal.center_id == center_id:
        return {"center"}
    return set()
