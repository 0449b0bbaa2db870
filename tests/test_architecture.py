"""The layers of README "Architecture" hold: import-linter's contracts are kept, no import cycle exists, no
function imports an ipoc module, and the README names the same packages as the contracts."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ipoc"
# The command line (ipoc/cli.py and the sub-command apps it mounts, reminders/cli.py and workdays/cli.py) imports
# a command's modules when the command runs: `ipoc --help` then takes 0.15 s instead of loading every domain.
LATE_IMPORTS_ALLOWED = "cli.py"


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
    keys = ("layers", "source_modules", "forbidden_modules")
    entries = [entry for c in config["tool"]["importlinter"]["contracts"] for key in keys for entry in c.get(key, [])]
    return {name for entry in entries for name in re.findall(r"ipoc(?:\.\w+)+", entry)}  # not ipoc.*.service


def test_the_import_contracts_are_kept():
    """In a process of its own: import-linter configures logging with dictConfig, which disables every logger that
    already exists, and the tests after it in this worker would no longer see theirs."""
    lint = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_import_cycle():
    cycles = import_cycles(grimp.build_graph("ipoc"))
    assert not cycles, f"import cycles: {sorted(sorted(c) for c in cycles)}"


def test_the_readme_draws_the_layers_of_the_contracts():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"ipoc(?:\.\w+)+", section)) == contract_modules()


def imports_ipoc(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "ipoc" for alias in node.names)
    return isinstance(node, ast.ImportFrom) and bool(node.level or (node.module or "").split(".")[0] == "ipoc")


def function_level_imports(path: Path) -> list[int]:
    """The lines where a function of ``path`` imports an ipoc module (a hidden dependency, often a cycle's cover)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    return sorted({node.lineno for function in functions for node in ast.walk(function) if imports_ipoc(node)})


def test_no_function_imports_an_ipoc_module():
    late = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != LATE_IMPORTS_ALLOWED
        for line in function_level_imports(path)
    ]
    assert not late, "imports inside a function: " + ", ".join(late)
