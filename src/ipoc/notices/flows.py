"""An objection (公示异议) as an explicit table: filed open by anyone during the notice, then upheld or dismissed
with a written resolution by the region admin. An upheld objection ends the dossier's recognition; that step
is the dossier's own (``ipoc.applications``)."""

from __future__ import annotations

from ipoc.notices.models import OBJECTION_STATES, ObjectionState
from ipoc.workflow import Machine, Transition

OBJECTIONS = Machine(
    name="objections",
    title="公示异议",
    states=ObjectionState,
    labels=OBJECTION_STATES,
    owners={"region": "自治区局管理员"},
    transitions=(
        Transition("uphold", "异议成立", {ObjectionState.OPEN}, ObjectionState.UPHELD, "region", needs_reason=True),
        Transition(
            "dismiss", "异议不成立", {ObjectionState.OPEN}, ObjectionState.DISMISSED, "region", needs_reason=True
        ),
    ),
    initial=ObjectionState.OPEN,
    terminal=frozenset({ObjectionState.UPHELD, ObjectionState.DISMISSED}),
    wrong_state="该异议已处理（{state}）",
)
# The form and the API name the outcome (the state it leads to); the machine names the step.
ACTION_OF_OUTCOME = {t.target: t.action for t in OBJECTIONS.transitions}
