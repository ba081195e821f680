"""The command line as a user meets it: exit codes 0/1/2, directories, quiet, explain, schema,
--set, and the one-line internal-error guard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
netspec: 1
name: good
input: {height: 8, width: 8, channels: 4}
params: {width: 1.0}
layers:
  - {name: c1, type: conv, filters: "${int(8 * width)}", kernel: 3}
"""
BROKEN = """\
netspec: 1
name: broken
input: {height: 8, width: 8, channels: 4}
layers:
  - {name: c1, type: conv, filter: 8, kernel: 3}
  - {name: c2, type: conb, filters: 8, kernel: 3}
  - {name: c3, type: conv, filters: 8, kernel: -3}
"""


def at(text: str, line: int, needle: str) -> str:
    """`line:col` of the first `needle` on a 1-based line of `text` (the hand-written expectation)."""
    return f"{line}:{text.splitlines()[line - 1].index(needle) + 1}"


def test_exit_0_clean(cli, write):
    r = cli("check", write("good.yaml", GOOD))
    assert r.code == 0
    assert "ok — 1 layer, output 8x8x8" in r.out  # not "1 layers"


def test_exit_1_reports_every_problem(cli, write):
    path = write("broken.yaml", BROKEN)
    r = cli("check", path)
    assert r.code == 1
    lines = r.out.splitlines()
    # three independent errors, each at its node: the `filter` key, the `conb` value, the -3
    assert (f"{path}:{at(BROKEN, 5, 'filter')}: error[NS101] unknown key `filter` in a conv layer "
            "(did you mean `filters`?)") in lines
    assert any(line.startswith(f"{path}:{at(BROKEN, 6, 'conb')}: error[NS105]") for line in lines)
    assert any(line.startswith(f"{path}:{at(BROKEN, 7, '-3')}: error[NS104]") for line in lines)
    assert lines[-1].startswith("Found ")


def test_exit_2_missing_file_and_usage(cli, write, tmp_path):
    r = cli("check", str(tmp_path / "nope.yaml"))
    assert r.code == 2
    assert "NS001" in r.out and "no such file" in r.out
    assert cli("check", write("good.yaml", GOOD), "--output-format", "nope").code == 2
    assert cli("check", write("good.yaml", GOOD), "--set", "oops").code == 2
    assert cli("check").code == 2  # no FILE argument
    assert cli("frobnicate").code == 2


def test_directory_means_its_specs(cli, write, tmp_path):
    write("specs/a.yaml", GOOD)
    write("specs/sub/b.yml", GOOD.replace("name: good", "name: b"))
    write("specs/notes.txt", "not a spec")
    r = cli("check", str(tmp_path / "specs"))
    assert r.code == 0
    assert "All 2 files clean." in r.out
    write("specs/c.yaml", BROKEN)
    assert cli("check", str(tmp_path / "specs")).code == 1
    assert cli("check", str(tmp_path / "empty-dir-does-not-exist")).code == 2


def test_empty_directory_is_usage_error(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    r = cli("check", str(tmp_path / "empty"))
    assert r.code == 2
    assert "no spec files" in r.err


def test_quiet_prints_only_problems(cli, write):
    assert cli("check", "-q", write("good.yaml", GOOD)).out == ""
    assert "error[NS101]" in cli("check", "-q", write("broken.yaml", BROKEN)).out


def test_set_overrides_params_typed(cli, write):
    path = write("good.yaml", GOOD)
    doc = json.loads(cli("check", path, "--set", "width=2", "-f", "json").out)
    # filters int(8 * 2) = 16: params 3*3*4*16 + 16 = 592
    assert doc["files"][0]["network"]["totals"]["params"] == 592
    r = cli("check", path, "--set", "widht=2")
    assert r.code == 1
    assert "did you mean `width`" in r.out


def test_json_contract_on_error(cli, write):
    path = write("broken.yaml", BROKEN)
    doc = json.loads(cli("check", path, "-f", "json").out)
    f = doc["files"][0]
    assert doc["version"] == 1 and f["ok"] is False and f["network"] is None
    d = next(d for d in f["diagnostics"] if d["code"] == "NS101")
    assert f"{d['line']}:{d['column']}" == at(BROKEN, 5, "filter")
    assert (d["path"], d["severity"]) == ("layers[0].filter", "error")


def test_explain(cli):
    r = cli("explain", "NS101")
    assert r.code == 0 and r.out.startswith("NS101 unknown-key (error)")
    assert cli("explain", "ns203").out.startswith("NS203 shape-mismatch")
    listing = cli("explain").out
    assert "NS301  budget-exceeded" in listing and "NS404  unused-output" in listing
    assert cli("explain", "NS999").code == 2


def test_version_and_schema(cli):
    from netspec import __version__

    assert cli("--version").out == f"netspec {__version__}\n"
    schema = json.loads(cli("schema").out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_python_dash_m_and_help():
    r = subprocess.run([sys.executable, "-m", "netspec", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0
    assert "check" in r.stdout and "diff" in r.stdout


def test_internal_error_is_one_line_exit_2(cli, write, monkeypatch):
    import netspec.pipeline

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(netspec.pipeline, "check_path", boom)
    r = cli("check", write("good.yaml", GOOD))
    assert r.code == 2
    assert r.err.count("\n") == 1 and "internal error [NS000]: RuntimeError: kaboom" in r.err
    assert "Traceback" not in r.err + r.out
