"""netspec without PyTorch: `check` works and never imports torch; `export` prints the install hint.

Runs even where torch is installed: the subprocesses hide it with `sys.modules['torch'] = None`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
netspec: 1
name: tiny-export
input: {height: 8, width: 8, channels: 3}
layers:
  - {type: conv, filters: 8, kernel: 3, batchnorm: true, activation: relu}
  - {type: global_avgpool}
  - {type: dense, units: 4}
"""

RUNNER = """\
import sys
if {hide}:
    sys.modules["torch"] = None
from netspec.cli import main
try:
    main(sys.argv[1:])
finally:
    print("torch imported:", sys.modules.get("torch") is not None, file=sys.stderr)
"""


def netspec(*args: str, hide_torch: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUNNER.format(hide=hide_torch), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_check_works_without_torch(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(SPEC)
    run = netspec("check", str(spec))
    assert run.returncode == 0, run.stdout + run.stderr
    assert ": ok" in run.stdout
    run = netspec("check", str(spec), "-f", "json")
    assert run.returncode == 0


def test_export_without_torch_prints_the_install_hint(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "m.py"
    run = netspec("export", str(spec), "--to", "torch", "-o", str(out))
    assert run.returncode == 2, run.stdout + run.stderr
    lines = [l for l in run.stderr.splitlines() if not l.startswith("torch imported:")]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("netspec: error:")
    assert "pip install 'netspec-cli[torch]'" in lines[0]
    assert "Traceback" not in run.stderr
    assert not out.exists()


def test_check_never_imports_torch(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(SPEC)
    run = netspec("check", str(spec), "--layers", hide_torch=False)
    assert run.returncode == 0, run.stderr
    assert "torch imported: False" in run.stderr
