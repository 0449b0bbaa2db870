"""The generated page of every state machine, docs/workflows/<machine>.md: written by ``ipoc docs workflows``
and compared with the committed pages by ``tests/test_docs.py``, so the docs say what the code does."""

from __future__ import annotations

from pathlib import Path

from ipoc.applications.flows import APPLICATIONS
from ipoc.catalogue.flows import PLAN_ITEMS
from ipoc.centers.flows import CENTER_STEPS, RECTIFICATION_STEPS, SELF_EVALUATION_STEPS
from ipoc.deals.flows import CONTACTS, DEALS
from ipoc.events.flows import EVENTS
from ipoc.licensing.flows import DECLARATIONS, LICENCES
from ipoc.matching.flows import MATCHES
from ipoc.notices.flows import OBJECTIONS
from ipoc.orgs.flows import NAMES, ORGS
from ipoc.patents.flows import AUTHORISATIONS
from ipoc.reviews.flows import PANELS
from ipoc.transfer.flows import DEMANDS, OFFERS
from ipoc.workflow import Machine

MACHINES: tuple[Machine, ...] = (
    APPLICATIONS,
    CENTER_STEPS,
    SELF_EVALUATION_STEPS,
    RECTIFICATION_STEPS,
    DEALS,
    CONTACTS,
    EVENTS,
    PANELS,
    ORGS,
    NAMES,
    DEMANDS,
    OFFERS,
    MATCHES,
    DECLARATIONS,
    LICENCES,
    PLAN_ITEMS,
    OBJECTIONS,
    AUTHORISATIONS,
)


def pages() -> dict[str, str]:
    """File name -> content of each machine's page."""
    return {f"{m.name}.md": m.describe() for m in MACHINES}


def write(folder: Path) -> list[Path]:
    """Write every page into ``folder``, removing the pages of machines that no longer exist."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for stale in set(p.name for p in folder.glob("*.md")) - set(wanted):
        (folder / stale).unlink()
    written = []
    for name, text in wanted.items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written
