"""A match as an explicit table: proposed by the ranking, then accepted, rejected (with a reason) or forwarded
to the source's own organisation by the staff of the center that proposed it; a forwarded match may still be
accepted or rejected once the organisation has had its say. A decided match stays as it is: a new ranking
keeps it and proposes its target no more."""

from __future__ import annotations

from ipoc.matching.models import MATCH_STATES, MatchState
from ipoc.workflow import Machine, Transition

OPEN = frozenset({MatchState.PROPOSED, MatchState.FORWARDED})  # may still be decided

MATCHES = Machine(
    name="matches",
    title="匹配结果",
    states=MatchState,
    labels=MATCH_STATES,
    owners={"center": "提出该匹配的运营中心工作人员"},
    transitions=(
        Transition("accept", "匹配采纳", OPEN, MatchState.ACCEPTED, "center"),
        # The reason is a REJECT_REASONS code (free text with "other"): the service checks it, after the state.
        Transition("reject", "匹配否决", OPEN, MatchState.REJECTED, "center", requires=("reason",)),
        Transition("forward", "匹配转交", OPEN, MatchState.FORWARDED, "center"),
    ),
    initial=MatchState.PROPOSED,
    terminal=frozenset({MatchState.ACCEPTED, MatchState.REJECTED}),
    wrong_state="该匹配{state}，不能再次处理",
    audit_text="{action}：{reason}",
)
