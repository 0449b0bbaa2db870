"""An organisation's registration check as a kernel machine: a bureau of its area (or the region bureau)
verifies it or turns it down with a reason, and may change its mind either way; who may check is decided in
the service (``may_review``)."""

from __future__ import annotations

from ipoc.orgs.models import NAME_LINK_STATES, ORG_STATUS, NameState, OrgState
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

N = NameState
# An applicant/patentee name an organisation claims counts for its rights only once a bureau of its area, the
# region bureau or a center of its area confirms it; who may is decided in ``ipoc.orgs.names`` (``may_confirm``).
NAMES = Machine(
    name="organisation_names",
    title="单位的申请人名称确认",
    states=NameState,
    labels=NAME_LINK_STATES,
    owners={"confirmer": "单位所在盟市局、自治区局或当地运营中心"},
    transitions=(
        Transition("confirm", "确认名称", {N.PROPOSED, N.REJECTED}, N.CONFIRMED, "confirmer"),
        Transition("reject", "不予确认", {N.PROPOSED, N.CONFIRMED}, N.REJECTED, "confirmer", requires=("note",)),
    ),
    initial=N.PROPOSED,
    wrong_state="该名称已是“{state}”状态",
)
