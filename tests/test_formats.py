"""Output formats: every format tells the same numbers; rows add up to totals; SARIF validates
against the published OASIS schema; GitHub workflow-command escaping."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

SPEC = """\
netspec: 1
name: formats
input: {height: 16, width: 16, channels: 3}
layers:
  - {name: stem, type: conv, filters: 8, kernel: 3, stride: 2, batchnorm: true, activation: relu}
  - {name: sep, type: separable, filters: 16, kernel: 3}
  - {name: pool, type: global_avgpool}
  - {name: fc, type: dense, units: 10}
budget:
  maccs: 1M
"""


@pytest.fixture
def spec(write):
    return write("formats.yaml", SPEC)


def test_json_layers_and_parts_add_up(cli, spec):
    doc = json.loads(cli("check", spec, "-f", "json").out)
    net = doc["files"][0]["network"]
    keys = ("params", "maccs", "flops", "memory_accesses", "compulsory_bytes", "weight_bytes")
    for key in keys:
        assert sum(layer[key] for layer in net["layers"]) == net["totals"][key], key
        for layer in net["layers"]:
            assert sum(p[key] for p in layer["parts"]) == layer[key], (layer["name"], key)
    # and the numbers are right, by hand:
    # stem: 3x3x3x8 = 216 weights (no bias with batchnorm) + BN 2*8 = 232; out 8x8x8: MACCs 512*27 = 13,824
    # sep: depthwise 3x3x8 = 72 (no bias) + pointwise 8*16 + 16 bias = 144; MACCs 64*8*9 + 64*8*16 = 12,800
    # fc: 16*10 + 10 = 170 params, 160 MACCs
    assert [layer["params"] for layer in net["layers"]] == [232, 216, 0, 170]
    assert [layer["maccs"] for layer in net["layers"]] == [13824, 12800, 0, 160]
    assert [p["label"] for p in net["layers"][1]["parts"]] == ["depthwise", "pointwise"]
    assert [p["label"] for p in net["layers"][0]["parts"]] == ["conv", "batchnorm", "relu"]


def test_csv_rows_add_up_and_agree_with_json(cli, spec):
    rows = list(csv.DictReader(io.StringIO(cli("check", spec, "-f", "csv").out)))
    doc = json.loads(cli("check", spec, "-f", "json").out)
    totals = doc["files"][0]["network"]["totals"]
    body, total = rows[:-1], rows[-1]
    assert total["layer"] == "total"
    for key in ("params", "maccs", "flops", "input_reads", "weight_reads", "output_writes", "memory_accesses",
                "compulsory_bytes", "weight_bytes"):
        assert sum(int(r[key]) for r in body) == int(total[key])
        if key in totals:
            assert int(total[key]) == totals[key]


def _human(n: int) -> str:
    """The README's count units, written out independently: three significant digits, K/M/G."""
    for div, s in ((10**9, "G"), (10**6, "M"), (10**3, "K")):
        if n >= div:
            return f"{n / div:#.3g}".rstrip(".") + s
    return str(n)


def test_text_and_markdown_tables_agree_with_json(cli, spec):
    doc = json.loads(cli("check", spec, "-f", "json").out)
    net = doc["files"][0]["network"]
    text = cli("check", spec, "--layers").out
    md = cli("check", spec, "--layers", "-f", "markdown").out
    for layer in net["layers"]:
        first = layer["parts"][0]
        text_row = next(line for line in text.splitlines() if re.match(rf"^\d+ {layer['name']}\*? ", line))
        md_row = next(line for line in md.splitlines() if f"| `{layer['name']}`" in line)
        for cell in (_human(first["params"]), _human(first["maccs"]), _human(first["flops"])):
            assert cell in text_row.split()
            assert f"| {cell} |" in md_row
    total_row = next(line for line in text.splitlines() if line.strip().startswith("total"))
    assert _human(net["totals"]["maccs"]) in total_row.split()
    assert f"| {_human(net['totals']['maccs'])} |" in md


def test_sarif_validates_against_oasis_schema(cli, write):
    jsonschema = pytest.importorskip("jsonschema")
    bad = write("bad.yaml", SPEC.replace("maccs: 1M", "maccs: 10K").replace("filters: 16", "filter: 16"))
    r = cli("check", bad, "-f", "sarif")
    assert r.code == 1
    doc = json.loads(r.out)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(doc)
    run = doc["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    result = next(r for r in run["results"] if r["ruleId"] == "NS101")
    assert rules[result["ruleIndex"]] == "NS101"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (6, 34)  # `filter` in line 6
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert not uri.startswith("/") or uri.endswith("bad.yaml")


def test_github_escaping():
    from netspec.diagnostics import Diagnostic
    from netspec.report.escape import github_message, github_property
    from netspec.report.github import command

    assert github_message("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github_property("a:b,c%") == "a%3Ab%2Cc%25"
    d = Diagnostic("NS301", "over by 5% : really,\nyes", 3, 1, 3, 5, file="dir,x/a:b.yaml")
    assert command(d) == ("::error file=dir%2Cx/a%3Ab.yaml,line=3,col=1,endLine=3,endColumn=5,"
                          "title=netspec NS301 budget-exceeded::over by 5%25 : really,%0Ayes")
    # an escape character from a spec's text never reaches the log raw
    assert "\x1b" not in command(Diagnostic("NS101", "unknown key `\x1b[2J`", 1, 1, file="a.yaml"))
    assert "\\x1b[2J" in command(Diagnostic("NS101", "unknown key `\x1b[2J`", 1, 1, file="a.yaml"))


def test_github_format_writes_step_summary(cli, spec, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = cli("check", spec, "-f", "github", "--max-maccs", "10K")
    assert r.code == 1
    assert r.out.startswith("::error file=")
    assert "error[NS301]" in r.out  # plain lines follow the workflow commands
    assert "| MACCs |" in summary.read_text()


def test_output_file_and_unknown_format(cli, spec, tmp_path):
    out = tmp_path / "report.json"
    r = cli("check", spec, "-f", "json", "-o", str(out))
    assert r.code == 0 and r.out == ""
    assert json.loads(out.read_text())["version"] == 1
    assert cli("check", spec, "-f", "yaml").code == 2
