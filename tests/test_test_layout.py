"""Test modules stand alone: what two of them share lives in a helper module (``conftest.py``, ``factories.py``
and the other modules of ``tests/`` not named ``test_*``), never in one test module imported by another. A test
module imported elsewhere runs its fixtures twice and couples files that a reader opens one at a time."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(tree: ast.Module) -> set[str]:
    """Every module a file imports, at the top or inside a function, as a dotted name."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # from tests import test_x
    return found


def is_test_module(name: str) -> bool:
    return name.startswith("tests.test_") and name.count(".") == 1


def imported_test_modules(path: Path) -> list[str]:
    return sorted(
        name for name in imported_modules(ast.parse(path.read_text(encoding="utf-8"))) if is_test_module(name)
    )


def test_no_test_module_imports_another_test_module() -> None:
    imports = {str(path.relative_to(TESTS)): imported_test_modules(path) for path in sorted(TESTS.rglob("*.py"))}
    offending = {name: found for name, found in imports.items() if found}
    assert not offending, f"move what they share to tests/factories.py, conftest.py or a helper module: {offending}"


def test_the_check_sees_imports_inside_functions() -> None:
    tree = ast.parse("def f():\n    from tests.test_a import x\n    from tests import test_b\n")
    assert {name for name in imported_modules(tree) if is_test_module(name)} == {"tests.test_a", "tests.test_b"}
