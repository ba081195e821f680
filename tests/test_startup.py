"""The cheap commands stay cheap: `netspec --version` and `netspec schema` import neither jsonschema
nor rich nor typer, and `netspec check` of a valid spec imports neither jsonschema, nor typer and
click (fastcli parses the hook's command line), nor pydantic, nor difflib (hints on errors only), nor
the HTML and Mermaid reporters (imported only when their format is asked for).
Checked on which modules get imported, never on timings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEAVY = ("jsonschema", "rich", "typer")

PROBE = """
import sys
from netspec.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
print("MODULES", ",".join(sorted(m for m in {mods!r} if m in sys.modules)), "EXIT", code)
"""


def _probe(args, mods=HEAVY):
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args, mods=mods)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("MODULES")][-1]
    _, modules, _, code = line.split(" ")
    return set(filter(None, modules.split(","))), int(code), out.stdout


@pytest.mark.parametrize("args", [["--version"], ["schema"]])
def test_cheap_commands_import_no_heavy_dependency(args):
    modules, code, stdout = _probe(args)
    assert code == 0
    assert modules == set(), f"`netspec {' '.join(args)}` imported {sorted(modules)}"
    if args == ["--version"]:
        assert stdout.startswith("netspec ")
    else:
        assert '"$schema"' in stdout


@pytest.mark.parametrize("args", [["--version"], ["schema"]])
def test_importtime_of_the_real_entry_point(args):
    """`python -X importtime -m netspec ...`: the interpreter's own list of every import."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "netspec", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert imported, out.stderr[-500:]
    for mod in HEAVY:
        assert mod not in imported and not any(m.startswith(mod + ".") for m in imported), mod


def test_check_of_a_valid_spec_imports_none_of_the_heavy_or_error_only_modules():
    modules, code, _ = _probe(["check", os.path.join(ROOT, "specs", "examples", "seed_conv3x3.yaml")],
                              mods=("jsonschema", "pydantic", "rich", "typer", "click", "difflib",
                                    "netspec.report.html", "netspec.report.graphview", "netspec.report.mermaid",
                                    "netspec.device", "netspec.latency", "torch", "netspec.sweep",
                                    "netspec.sweep.compiled", "multiprocessing"))
    assert code == 0
    assert modules == set(), f"`netspec check` of a valid spec imported {sorted(modules)}"


def test_check_through_typer_does_not_import_the_sweep():
    """A check line fastcli leaves to typer (an unusual option) loads the typer app, which declares
    `sweep`; the sweep's code is imported only when `sweep` runs."""
    modules, code, _ = _probe(["check", os.path.join(ROOT, "specs", "tiny.yaml"), "--set", "width=16", "--depth", "1"],
                              mods=("netspec.sweep", "netspec.sweep.compiled", "netspec.sweep.run"))
    assert code == 0
    assert modules == set(), f"`netspec check` imported {sorted(modules)}"


def test_check_with_a_device_stays_on_the_fast_path():
    """--device loads the profile and the estimate, and still no typer, jsonschema or torch."""
    modules, code, stdout = _probe(["check", os.path.join(ROOT, "specs", "tiny.yaml"), "--device", "orin-nano"],
                                   mods=("jsonschema", "typer", "click", "torch", "netspec.device",
                                         "netspec.latency"))
    assert code == 0, stdout
    assert modules == {"netspec.device", "netspec.latency"}
    assert "latency" in stdout


def test_check_of_an_invalid_spec_still_gets_jsonschema_messages(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("netspec: 1\nname: bad\ninput: {channels: 3}\nlayers:\n  - {type: dense, unitz: 4}\n")
    out = subprocess.run([sys.executable, "-m", "netspec", "check", str(bad)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1
    assert "NS101" in out.stdout and "unitz" in out.stdout
