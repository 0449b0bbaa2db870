"""An expert panel's one step as a kernel machine: open (scoring) → closed (scores unsealed, results written).
The conditions (every subject has the panel's minimum of valid scores) are checked by the service."""

from __future__ import annotations

from ipoc.reviews.models import PANEL_STATUS, PanelState
from ipoc.workflow import Machine, Transition

PANELS = Machine(
    name="panels",
    title="评审专家组",
    states=PanelState,
    labels=PANEL_STATUS,
    owners={"region": "自治区局"},
    transitions=(Transition("close", "结束评审", {PanelState.OPEN}, PanelState.CLOSED, "region"),),
    initial=PanelState.OPEN,
    terminal=frozenset({PanelState.CLOSED}),
)
