"""One state-machine kernel for every stateful record (dossiers, centers, deals, events, licences, reviews …).

A domain declares its states as a ``StrEnum``, its steps as :class:`Transition` rows and both together as a
:class:`Machine`; its services move a record with :func:`take` and nothing else sets the state column. So
every machine refuses the same way, leaves the same traces and can be drawn and checked by the same code::

    class EventState(StrEnum):
        DRAFT = "draft"
        OPEN = "open"
        CANCELLED = "cancelled"

    EVENTS = Machine(
        name="events",
        title="科技活动",
        states=EventState,
        labels={EventState.DRAFT: "草稿", EventState.OPEN: "报名中", EventState.CANCELLED: "已取消"},
        owners={"center": "运营中心工作人员"},
        transitions=(
            Transition("open", "开放报名", {EventState.DRAFT}, EventState.OPEN, "center"),
            Transition("cancel", "取消活动", {EventState.DRAFT, EventState.OPEN}, EventState.CANCELLED,
                       "center", needs_reason=True),
        ),
        wrong_state="活动当前为「{state}」，不能{action}",
    )

    take(session, EVENTS, event, "cancel", owners={"center"}, actor=principal, reason="场地不可用")

What :func:`take` does, in this order (a refusal changes nothing):

1. refuses an unknown action (422, field ``action``), an owner the caller does not hold (403), a state the
   step does not leave from or a route it does not serve (409), a missing reason, evidence or confirmation
   (422, field ``reason`` / ``evidence`` / ``confirm``);
2. attaches the reason (worded by ``Machine.audit_text``; else the step's label) and the action to the audit
   records of the flush that follows (:func:`ipoc.audit.service.set_reason`; the record's change itself is
   audited like any other);
3. sets the extra ``changes``, then the record's ``state`` column;
4. calls the machine's ``record_step`` hook, which writes the domain's own timeline row, if it keeps one;
5. flushes, so that a following step's reason does not overwrite this one in the audit trail.

Rights are decided by the domain: it says which owner roles the caller holds *for this record* (``owners``), or
passes ``owners=None`` where the step is taken by the system or inside a larger step it already checked.

The database holds the states too: :func:`check_constraint` of the states' enum in the model's ``__table_args__``
(and the same text, :func:`check_sql`, in the migration) refuses any other value.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.errors import Conflict, Forbidden, InvalidInput


@dataclass(frozen=True)
class Transition:
    """One step: from any of ``sources`` to ``target``, taken by the holder of ``owner``.

    ``target`` None: back to the state the record was returned from (see :attr:`Machine.returned`).
    ``route``: only records on this route take it (dossiers: ``direct`` or ``via_bureau``).
    ``date_field`` and ``requires``: the day the step happened and the inputs it cannot do without; the kernel
    carries them for the domain, which checks them (they name form fields and their rules are the domain's).
    """

    action: str
    label: str
    sources: frozenset[str]
    target: str | None
    owner: str
    needs_reason: bool = False
    needs_evidence: bool = False
    needs_confirmation: bool = False
    route: str | None = None
    date_field: str | None = None
    requires: tuple[str, ...] = ()

    def __init__(
        self,
        action: str,
        label: str,
        sources: Iterable[str],
        target: str | None,
        owner: str,
        *,
        needs_reason: bool = False,
        needs_evidence: bool = False,
        needs_confirmation: bool = False,
        route: str | None = None,
        date_field: str | None = None,
        requires: Iterable[str] = (),
    ) -> None:
        # frozen: set through object.__setattr__; sources and requires are kept as immutable collections
        for name, value in (
            ("action", action),
            ("label", label),
            ("sources", frozenset(sources)),
            ("target", target),
            ("owner", owner),
            ("needs_reason", needs_reason),
            ("needs_evidence", needs_evidence),
            ("needs_confirmation", needs_confirmation),
            ("route", route),
            ("date_field", date_field),
            ("requires", tuple(requires)),
        ):
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Step:
    """A step just taken: what the timeline hook writes and what the caller may tell people about."""

    transition: Transition
    source: str
    target: str
    reason: str
    actor: Any  # the Principal who took it; None for the system


StepHook = Callable[[Session, Any, Step], None]


@dataclass(frozen=True)
class Machine:
    """A record kind's states, their Chinese labels and the steps between them.

    ``owners`` names each owner role in Chinese (refusals and the generated docs say who takes a step).
    ``wrong_state`` and ``wrong_owner`` are the refusals' texts, with ``{state}`` (the current state's label),
    ``{action}`` (the step's label) and ``{owner}`` (the owning role's label).
    ``audit_text``: the audit reason when a reason is given, with ``{reason}`` and ``{action}`` (the step's label);
    without one the audit reason is the step's label.
    ``returned``: a "returned for correction" state; entering it keeps the source in ``record.returned_from``
    and a step with target None goes back there, else to ``resume_fallback``.
    """

    name: str
    title: str
    states: type[StrEnum]
    labels: Mapping[str, str]
    owners: Mapping[str, str]
    transitions: tuple[Transition, ...]
    initial: str | None = None
    terminal: frozenset[str] = frozenset()
    wrong_state: str = "当前为“{state}”状态，不能“{action}”"
    wrong_owner: str = "“{action}”由{owner}办理"
    audit_text: str = "{reason}"
    returned: str | None = None
    resume_fallback: str | None = None
    record_step: StepHook | None = None
    by_action: Mapping[str, Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_action", {t.action: t for t in self.transitions})
        object.__setattr__(self, "terminal", frozenset(self.terminal))
        self._validate()

    def _validate(self) -> None:
        """A table that names an unknown state, owner or a duplicate action is a programming error: fail at import."""
        states = {str(s) for s in self.states}
        problems = [f"no label for state {s!r}" for s in states - set(self.labels)]
        problems += [f"label for unknown state {s!r}" for s in {str(s) for s in self.labels} - states]
        if len(self.by_action) != len(self.transitions):
            problems.append("duplicate action")
        for t in self.transitions:
            named = {str(s) for s in t.sources} | ({str(t.target)} if t.target is not None else set())
            problems += [f"{t.action}: unknown state {s!r}" for s in named - states]
            if t.owner not in self.owners:
                problems.append(f"{t.action}: unknown owner {t.owner!r}")
            if t.target is None and self.returned is None:
                problems.append(f"{t.action}: no target and no 'returned' state to go back from")
        extra = {self.initial, self.returned, self.resume_fallback} - {None}
        problems += [f"unknown state {s!r}" for s in {str(s) for s in extra | self.terminal} - states]
        if problems:
            raise ValueError(f"machine {self.name}: " + "; ".join(problems))

    # --- reading ---------------------------------------------------------------------------------------

    def label(self, state: str | None) -> str:
        """The state's Chinese label (an unknown value is shown as it is)."""
        return self.labels.get(state, state) if state else ""

    def state_of(self, record: Any) -> str:
        return record.state

    def transition(self, action: str) -> Transition:
        """The step named ``action``; an unknown one is the caller's input error."""
        t = self.by_action.get(action)
        if t is None:
            raise InvalidInput(f"未知的操作：{action}", field="action")
        return t

    def applies(self, t: Transition, state: str, route: str | None = None) -> bool:
        """Whether ``t`` can be taken from ``state`` by a record on ``route`` (who takes it aside)."""
        return state in t.sources and (t.route is None or t.route == route)

    def available(self, state: str, owners: Collection[str] | None, route: str | None = None) -> list[Transition]:
        """The steps a caller holding ``owners`` (None: any) may take from ``state``, in table order."""
        return [t for t in self.transitions if (owners is None or t.owner in owners) and self.applies(t, state, route)]

    def target_of(self, t: Transition, record: Any) -> str:
        if t.target is not None:
            return t.target
        back = getattr(record, "returned_from", None) or self.resume_fallback
        if back is None:
            raise ValueError(f"{self.name}.{t.action}: nowhere to go back to")
        return back

    # --- the generated page (docs/workflows/<name>.md) ------------------------------------------------

    def describe(self) -> str:
        """The machine as a Markdown page: its states, then its steps with who takes them and what they need."""
        lines = [
            f"# {self.title} (`{self.name}`)",
            "",
            "Generated from the machine by `ipoc docs workflows`; `tests/test_docs.py` fails when it is out of date.",
            "",
            "| state | 中文 | |",
            "|---|---|---|",
        ]
        for s in self.states:
            mark = "initial" if s == self.initial else "terminal" if s in self.terminal else ""
            lines.append(f"| `{s}` | {self.labels[s]} | {mark} |")
        lines += ["", "| action | 中文 | from | to | who | needs |", "|---|---|---|---|---|---|"]
        for t in self.transitions:
            sources = ", ".join(f"`{s}`" for s in self.states if s in t.sources)
            target = f"`{t.target}`" if t.target is not None else "(the state it was returned from)"
            lines.append(
                f"| `{t.action}` | {t.label} | {sources} | {target} | {self.owners[t.owner]} (`{t.owner}`) "
                f"| {_needs(t)} |"
            )
        return "\n".join(lines) + "\n"

    # --- moving ----------------------------------------------------------------------------------------

    def check_state(self, record: Any, t: Transition, route: str | None = None) -> None:
        """409 unless ``record`` is in a state ``t`` leaves from (for a domain that checks more before the rest)."""
        state = self.state_of(record)
        if not self.applies(t, state, route):
            raise Conflict(self.wrong_state.format(state=self.label(state), action=t.label))

    def check(
        self,
        record: Any,
        action: str,
        *,
        owners: Collection[str] | None,
        reason: str = "",
        route: str | None = None,
        evidence: Collection[Any] = (),
        confirmed: bool = False,
    ) -> Transition:
        """Refuse a step the caller may not take now (see the module's docstring); else return it."""
        t = self.transition(action)
        if owners is not None and t.owner not in owners:
            raise Forbidden(self.wrong_owner.format(action=t.label, owner=self.owners[t.owner]))
        self.check_state(record, t, route)
        if t.needs_reason and not reason.strip():
            raise InvalidInput(f"“{t.label}”必须填写理由", field="reason")
        if t.needs_evidence and not evidence:
            raise InvalidInput(f"“{t.label}”必须附证明材料", field="evidence")
        if t.needs_confirmation and not confirmed:
            raise InvalidInput(f"请确认“{t.label}”", field="confirm")
        return t


def _needs(t: Transition) -> str:
    needs = [
        *(["reason"] if t.needs_reason else []),
        *(["evidence"] if t.needs_evidence else []),
        *(["confirmation"] if t.needs_confirmation else []),
        *([f"route `{t.route}`"] if t.route else []),
        *(f"`{name}`" for name in t.requires),
    ]
    return ", ".join(needs)


def check_sql(states: type[StrEnum]) -> str:
    """The CHECK text that admits exactly ``states``, in declaration order (also pasted into the migrations)."""
    values = ", ".join("'" + s.value.replace("'", "''") + "'" for s in states)
    return f"state IN ({values})"


def check_constraint(states: type[StrEnum]) -> CheckConstraint:
    """For a model's ``__table_args__``: named ``ck_<table>_state`` by the metadata's naming convention.

    Takes the enum rather than the machine so that a model can hold its states while the machine (whose
    timeline hook writes the domain's history rows) imports the models."""
    return CheckConstraint(check_sql(states), name="state")


def take(
    session: Session,
    machine: Machine,
    record: Any,
    action: str,
    *,
    owners: Collection[str] | None,
    actor: Any = None,
    reason: str = "",
    route: str | None = None,
    evidence: Collection[Any] = (),
    confirmed: bool = False,
    changes: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Step:
    """Move ``record`` along ``machine``'s step ``action``: check, audit reason, state, timeline, flush.

    ``owners``: the owner roles ``actor`` holds for this record (None: the system, or a step inside a larger
    one whose rights the caller checked). ``changes``: other columns set with the step (a decision's note …);
    ``meta``: more context for the audit records (the patents a contract names …).
    """
    t = machine.check(record, action, owners=owners, reason=reason, route=route, evidence=evidence, confirmed=confirmed)
    reason = reason.strip()
    source = machine.state_of(record)
    target = machine.target_of(t, record)
    audited = machine.audit_text.format(reason=reason, action=t.label) if reason else t.label
    audit.set_reason(session, audited, action=action, **(meta or {}))
    for name, value in (changes or {}).items():
        setattr(record, name, value)
    if machine.returned is not None:
        record.returned_from = source if target == machine.returned else None
    record.state = target
    step = Step(t, source, target, reason, actor)
    if machine.record_step is not None:
        machine.record_step(session, record, step)
    session.flush()
    return step
