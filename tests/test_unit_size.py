"""No function or class in netspec/ is longer than a reader can hold: 150 lines at most.

Long units grow by accretion and must be read whole to change anything. A unit over the limit is
split along its seams (see ARCHITECTURE.md) into smaller ones, each with a docstring saying its job.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "netspec"
MAX_LINES = 150


def long_units(package: Path = PACKAGE, limit: int = MAX_LINES) -> list[str]:
    """`path:line name (N lines)` for every def or class spanning more than `limit` lines."""
    out = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = node.end_lineno - first + 1
                if lines > limit:
                    out.append(f"{path.relative_to(package.parent)}:{node.lineno} {node.name} ({lines} lines)")
    return out


def test_no_function_or_class_is_over_150_lines():
    assert long_units() == [], f"split these along their seams (limit {MAX_LINES} lines)"


def test_the_scan_finds_a_long_unit(tmp_path):
    """The check itself can fail: a 151-line function is reported, a 150-line one is not."""
    package = tmp_path / "netspec"
    package.mkdir()
    (package / "long.py").write_text("def f():\n" + "    x = 1\n" * 150, encoding="utf-8")
    (package / "short.py").write_text("class C:\n" + "    x = 1\n" * 149, encoding="utf-8")
    assert long_units(package) == ["netspec/long.py:1 f (151 lines)"]
