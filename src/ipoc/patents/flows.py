"""A patentee's written authorisation (书面授权) as an explicit table: uploaded pending, then confirmed or not
(with the reason) by a center's staff or the region bureau after reading the signed document. Only a
confirmed, unexpired one lets a non-patentee offer, license or transfer the patent (``rights``)."""

from __future__ import annotations

from ipoc.patents.models import AUTHORISATION_STATES, AuthorisationState
from ipoc.workflow import Machine, Transition

AUTHORISATIONS = Machine(
    name="rights_authorisations",
    title="专利权人书面授权",
    states=AuthorisationState,
    labels=AUTHORISATION_STATES,
    owners={"staff": "运营中心工作人员或自治区局管理员"},
    transitions=(
        Transition("confirm", "确认书面授权", {AuthorisationState.PENDING}, AuthorisationState.CONFIRMED, "staff"),
        # The reason (at least two characters) is the service's to check, after the state.
        Transition(
            "reject",
            "不予确认书面授权",
            {AuthorisationState.PENDING},
            AuthorisationState.REJECTED,
            "staff",
            requires=("note",),
        ),
    ),
    initial=AuthorisationState.PENDING,
    terminal=frozenset({AuthorisationState.CONFIRMED, AuthorisationState.REJECTED}),
    wrong_state="该授权已是“{state}”状态",
    audit_text="{action}：{reason}",
)
