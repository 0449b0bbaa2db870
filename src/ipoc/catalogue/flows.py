"""A work-plan item (年度工作计划事项) as an explicit table: planned, then done with its date and outcome or
dropped with its reason, by the center's staff; a done or dropped item stays on the published plan."""

from __future__ import annotations

from ipoc.catalogue.models import PLAN_ITEM_STATES, PlanItemState
from ipoc.workflow import Machine, Transition

PLAN_ITEMS = Machine(
    name="plan_items",
    title="年度工作计划事项",
    states=PlanItemState,
    labels=PLAN_ITEM_STATES,
    owners={"center": "运营中心工作人员"},
    transitions=(
        Transition(
            "complete",
            "完成工作事项",
            {PlanItemState.PLANNED},
            PlanItemState.DONE,
            "center",
            needs_reason=True,  # the outcome is the reason the audit trail keeps
            date_field="done_on",
        ),
        Transition("drop", "取消工作事项", {PlanItemState.PLANNED}, PlanItemState.DROPPED, "center", needs_reason=True),
    ),
    initial=PlanItemState.PLANNED,
    terminal=frozenset({PlanItemState.DONE, PlanItemState.DROPPED}),
    wrong_state="该工作事项已是“{state}”状态",
)
