"""The layers of README "Architecture" hold: import-linter's contracts are kept, no new import cycle appears,
and the README names the same packages as the contracts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
# Cycles inside one feature that remain for now; the set may only shrink (a new or a grown cycle fails).
KNOWN_CYCLES = {
    frozenset({"ipoc.jobs.queue", "ipoc.jobs.service"}),  # Progress runs inline jobs through the queue
    frozenset({"ipoc.search.changes", "ipoc.search.index_sync"}),  # the after-commit listener is installed late
    frozenset(  # a patent's rights read the deals and licences built on it, late
        {"ipoc.deals.models", "ipoc.licensing.models", "ipoc.orgs.names", "ipoc.patents.models", "ipoc.patents.rights"}
    ),
}


def import_cycles(graph: grimp.ImportGraph) -> set[frozenset[str]]:
    """The strongly connected sets of modules (more than one module: each imports the others, maybe indirectly)."""
    cycles = set()
    for module in graph.modules:
        reached = graph.find_downstream_modules(module)
        together = {other for other in reached if module in graph.find_downstream_modules(other)}
        if together:
            cycles.add(frozenset(together | {module}))
    return cycles


def contract_modules() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = [layer for c in contracts if c["type"] == "layers" for layer in c["layers"]]
    return {name for layer in layers for name in re.findall(r"ipoc(?:\.\w+)*", layer)}


def test_the_import_contracts_are_kept():
    """In a process of its own: import-linter configures logging with dictConfig, which disables every logger that
    already exists, and the tests after it in this worker would no longer see theirs."""
    lint = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_new_import_cycle():
    cycles = import_cycles(grimp.build_graph("ipoc"))
    assert cycles <= KNOWN_CYCLES, f"new import cycles: {sorted(sorted(c) for c in cycles - KNOWN_CYCLES)}"


def test_the_readme_draws_the_layers_of_the_contracts():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"ipoc(?:\.\w+)+", section)) == contract_modules()
