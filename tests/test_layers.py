"""The package keeps its layers: CLI over commands over pipeline over stages over graph and ops.

The contract is `[tool.importlinter]` in pyproject.toml, checked by import-linter (grimp reads
every import, those inside functions too). The second test shows the check can fail: the same
contract over a copy of the package with one upward import added must break.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="the layering contract needs import-linter: pip install -e '.[test]'")

REPO = Path(__file__).resolve().parent.parent
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")


def lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports on the package and pyproject.toml under `root` (`python -c` puts `root` first
    on sys.path, so a copy there is the netspec it analyses)."""
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, capture_output=True, text=True, timeout=300)


def test_the_layering_contract_is_kept():
    out = lint(REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 kept, 0 broken" in out.stdout


def test_every_module_has_a_layer():
    """A new top-level module or subpackage must be placed in the contract, or it is unchecked."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "layers"]
    placed = {name for layer in contract["layers"] for name in re.split(r"\s*[|:]\s*", layer.strip())}
    package = REPO / "netspec"
    modules = {f"netspec.{p.stem}" for p in package.glob("*.py") if p.name != "__init__.py"}
    modules |= {f"netspec.{p.parent.name}" for p in package.glob("*/__init__.py")}
    assert modules - placed == set(), "add these to a layer of [tool.importlinter] in pyproject.toml"


def test_an_upward_import_breaks_it(tmp_path):
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    shutil.copytree(REPO / "netspec", tmp_path / "netspec", ignore=shutil.ignore_patterns("__pycache__"))
    conv = tmp_path / "netspec" / "ops" / "conv.py"
    conv.write_text(conv.read_text(encoding="utf-8") + "\nfrom ..pipeline import check_path  # upward\n",
                    encoding="utf-8")
    out = lint(tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "netspec.ops is not allowed to import netspec.pipeline" in out.stdout
    assert "netspec.ops.conv -> netspec.pipeline" in out.stdout
