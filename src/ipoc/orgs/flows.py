"""An organisation's registration check as a kernel machine: a bureau of its area (or the region bureau)
verifies it or turns it down with a reason, and may change its mind either way; who may check is decided in
the service (``may_review``)."""

from __future__ import annotations

from ipoc.orgs.models import ORG_STATUS, OrgState
from ipoc.workflow import Machine, Transition

S = OrgState
ORGS = Machine(
    name="organisations",
    title="单位注册核验",
    states=OrgState,
    labels=ORG_STATUS,
    owners={"bureau": "单位所在盟市局或自治区局"},
    transitions=(
        Transition("verify", "核验通过", {S.PENDING, S.REJECTED}, S.VERIFIED, "bureau"),
        Transition("reject", "不予通过", {S.PENDING, S.VERIFIED}, S.REJECTED, "bureau", needs_reason=True),
    ),
    initial=S.PENDING,
    wrong_state="该单位已是“{state}”状态",
)
