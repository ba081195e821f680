"""`netspec diff` between two revisions in a temporary git repository.

Base: 8x8x4 input; a = conv 3x3 -> 8, b = conv 1x1 -> 8, c = global_avgpool, fc = dense 10 (all biased).
  a: 3*3*4*8 + 8 = 296 params, 8*8*8 * 36 = 18,432 MACCs
  b: 8*8 + 8 = 72, 64 * 8 * 8 = 4,096          fc: 8*10 + 10 = 90, 80
  totals: 458 params, 22,608 MACCs
Head: a widened to 16, b removed, d = conv 1x1 16 -> 16 added.
  a: 3*3*4*16 + 16 = 592, 8*8*16 * 36 = 36,864   d: 16*16 + 16 = 272, 64*16*16 = 16,384
  fc: 16*10 + 10 = 170, 160                      totals: 1,034 params, 53,408 MACCs
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

BASE = """\
netspec: 1
name: d
input: {height: 8, width: 8, channels: 4}
layers:
  - {name: a, type: conv, filters: 8, kernel: 3}
  - {name: b, type: conv, filters: 8, kernel: 1}
  - {name: c, type: global_avgpool}
  - {name: fc, type: dense, units: 10}
"""
HEAD = BASE.replace("filters: 8, kernel: 3", "filters: 16, kernel: 3").replace(
    "  - {name: b, type: conv, filters: 8, kernel: 1}\n", "  - {name: d, type: conv, filters: 16, kernel: 1}\n")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (tmp_path / "net.yaml").write_text(BASE)
    git("add", "net.yaml")
    git("commit", "-qm", "base")
    (tmp_path / "net.yaml").write_text(HEAD)
    git("commit", "-qam", "head")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_diff_two_revisions_json(cli, repo):
    r = cli("diff", "HEAD~1:net.yaml", "HEAD:net.yaml", "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["totals"]["params"] == {"base": 458, "head": 1034, "delta": 576}
    assert doc["totals"]["maccs"] == {"base": 22608, "head": 53408, "delta": 30800}
    status = {c["name"]: c["status"] for c in doc["layers"]}
    assert status == {"a": "changed", "d": "added", "b": "removed", "c": "changed", "fc": "changed"}
    a = next(c for c in doc["layers"] if c["name"] == "a")
    assert a["delta"]["params"] == 592 - 296 and a["delta"]["maccs"] == 36864 - 18432
    assert a["head"]["output"] == [8, 8, 16]


def test_diff_worktree_against_revision_text(cli, repo):
    r = cli("diff", "HEAD~1:net.yaml", "net.yaml")
    assert r.code == 0
    assert "layers: 1 added, 1 removed, 3 changed" in r.out
    assert "+136.2%" in r.out  # MACCs 30,800 / 22,608


def test_fail_on_increase(cli, repo):
    assert cli("diff", "HEAD~1:net.yaml", "net.yaml", "--fail-on-increase", "maccs=200%").code == 0
    r = cli("diff", "HEAD~1:net.yaml", "net.yaml", "--fail-on-increase", "maccs=5%", "-f", "markdown")
    assert r.code == 1
    assert "maccs grew by 30,800 (+136.2%), over the allowed increase 5%" in r.out
    assert cli("diff", "HEAD~1:net.yaml", "net.yaml", "--fail-on-increase", "params=600").code == 0
    assert cli("diff", "HEAD~1:net.yaml", "net.yaml", "--fail-on-increase", "params=500").code == 1


def test_markdown_comment_has_totals_first(cli, repo):
    out = cli("diff", "HEAD~1:net.yaml", "net.yaml", "-f", "markdown").out
    lines = out.splitlines()
    assert lines[0].startswith("### netspec")
    assert lines[4].startswith("| params | 458 | 1.03K | +576 | +125.8% |")


def test_new_spec_compares_against_nothing(cli, repo):
    (repo / "new.yaml").write_text(BASE)
    r = cli("diff", "HEAD:new.yaml", "new.yaml", "-f", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["base"]["exists"] is False
    assert doc["totals"]["params"] == {"base": 0, "head": 458, "delta": 458}


def test_bad_revision_and_bad_rule_are_usage_errors(cli, repo):
    assert cli("diff", "nosuchrev:net.yaml", "net.yaml").code == 2
    assert cli("diff", "HEAD~1:net.yaml", "net.yaml", "--fail-on-increase", "speed=5%").code == 2


def test_every_added_and_removed_layer_is_listed(cli, repo):
    # issue 13, item 6: "8 added, 1 removed" then 10 rows, and the removed layer was nowhere
    added = "".join(f"  - {{name: d{k}, type: conv, filters: 8, kernel: 1}}\n" for k in range(8))
    head = BASE.replace("  - {name: b, type: conv, filters: 8, kernel: 1}\n", added)
    (repo / "net.yaml").write_text(head)
    text = cli("diff", "HEAD~1:net.yaml", "net.yaml").out
    assert "layers: 8 added, 1 removed, 0 changed" in text
    lines = text.splitlines()
    for k in range(8):  # each 1x1 conv 8 -> 8 with bias: 72 params, 8*8*8*8 = 4,096 MACCs
        assert f"  added    d{k}: params +72, MACCs +4.10K" in lines
    assert "  removed  b: params -72, MACCs -4.10K" in lines
    md = cli("diff", "HEAD~1:net.yaml", "net.yaml", "-f", "markdown").out
    assert md.splitlines()[0] == "### netspec diff: `HEAD~1:net.yaml` → `net.yaml`"  # base first, as in text
    assert text.splitlines()[0] == "netspec diff HEAD~1:net.yaml -> net.yaml"
    assert "<details><summary>Added (8)</summary>\n\n" + ", ".join(f"`d{k}`" for k in range(8)) in md
    assert "<details><summary>Removed (1)</summary>\n\n`b`\n" in md
    # the movers table holds 9 changes within its 10 rows: no "more" line
    assert "more layers" not in md


def test_a_side_that_does_not_check_is_exit_1_and_says_why(cli, repo):
    (repo / "net.yaml").write_text(BASE.replace("filters: 8, kernel: 3", "filterz: 8, kernel: 3"))
    r = cli("diff", "HEAD~1:net.yaml", "net.yaml")
    assert r.code == 1 and r.out == ""
    assert "error[NS101]" in r.err
    assert ("netspec: diff: the head net.yaml has errors (above), so there is nothing to compare; exit 1"
            in r.err)
    help_text = " ".join(cli("diff", "--help").out.split())
    assert "1 a --fail-on-increase" in help_text and "rule broke, or a side has errors" in help_text
