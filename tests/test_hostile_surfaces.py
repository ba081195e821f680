"""Hostile input at the surfaces around the pipeline: output files, git, escaping per format, the
file system, stdout, budget policies (issue 12). Cases that a spec file can hold live in
tests/hostile/ and tests/test_hostile.py; these need a file system, a git repository or a stream.

Every test runs in its own temporary directory (the `sandbox` fixture) and asserts, besides the
exit status and the diagnostic's code and position, that nothing outside that directory was
created, changed or removed: the repository's files and the other entries of pytest's temporary
folder are listed before and after.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import file_tree, run_cli
from jsonwalk import values

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
PWNED = Path("/tmp/netspec-hostile-pwned")

SPEC = """\
netspec: 1
name: small
input: {height: 8, width: 8, channels: 4}
layers:
  - {name: c1, type: conv, filters: 8, kernel: 3}
  - {name: fc, type: dense, units: 10}
"""
# c1: 3*3*4*8 + 8 = 296 params; fc: 8*10 + 10 = 90; total 386.


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """cwd = a fresh temporary directory; afterwards, nothing outside it was touched."""
    monkeypatch.chdir(tmp_path)
    before_repo = file_tree(ROOT)
    before_tmp = sorted(p.name for p in tmp_path.parent.iterdir() if p != tmp_path)
    yield tmp_path
    assert file_tree(ROOT) == before_repo, "a file of the repository was created, changed or removed"
    assert sorted(p.name for p in tmp_path.parent.iterdir() if p != tmp_path) == before_tmp
    assert not PWNED.exists()


def run(*args: str) -> tuple[int, str, str]:
    r = run_cli(*args)
    return r.code, r.out, r.err


def run_process(*args: str, cwd=None, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netspec", *args], cwd=cwd, capture_output=True, timeout=timeout,
                          **kwargs)


def clean(out: str, err: str) -> None:
    for text in (out, err):
        assert "Traceback" not in text and "NS000" not in text and "internal error" not in text, text[:2000]


def one_line(err: str) -> str:
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    return lines[0]


# --- 1. an output file that is an input -----------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "export", "diff"])
@pytest.mark.parametrize("how", ["same", "dot", "absolute", "symlink", "hardlink"])
def test_output_that_is_an_input_is_refused(sandbox, command, how):
    spec = sandbox / "v.yaml"
    spec.write_text(SPEC)
    target = {"same": "v.yaml", "dot": "./v.yaml", "absolute": str(spec)}.get(how)
    if how == "symlink":
        os.symlink("v.yaml", sandbox / "link.yaml")
        target = "link.yaml"
    if how == "hardlink":
        os.link(spec, sandbox / "hard.yaml")
        target = "hard.yaml"
    args = {"check": ("check", "v.yaml"), "export": ("export", "v.yaml"), "diff": ("diff", "v.yaml", "v.yaml")}[command]
    if command == "export" and shutil.which("python") and not _has_torch():
        pass  # the clash is refused before export looks for PyTorch either way
    code, out, err = run(*args, "-o", target)
    clean(out, err)
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith(f"netspec: error: --output-file {target} is the ") and "refusing to write over it" in line
    assert spec.read_text() == SPEC


def test_output_that_is_the_device_profile_is_refused(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    profile = (ROOT / "netspec" / "devices" / "a100-sxm4-80gb.yaml").read_text(encoding="utf-8")
    (sandbox / "dev.yaml").write_text(profile)
    for command in (["check", "v.yaml"], ["sweep", "v.yaml", "-s", "w=1,2"]):
        code, out, err = run(*command, "--device-file", "dev.yaml", "-o", "dev.yaml")
        clean(out, err)
        assert code == 2 and out == ""
        assert one_line(err) == ("netspec: error: --output-file dev.yaml is the device profile dev.yaml; "
                                 "refusing to write over it")
    assert (sandbox / "dev.yaml").read_text() == profile


def test_output_that_is_the_budget_file_is_refused(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    (sandbox / "team.yaml").write_text("budget: {params: 1M}\n")
    code, out, err = run("check", "v.yaml", "--budget-file", "team.yaml", "-o", "team.yaml")
    assert code == 2 and "is the budget file team.yaml" in one_line(err)
    assert (sandbox / "team.yaml").read_text() == "budget: {params: 1M}\n"


def test_output_inside_a_scanned_directory_that_is_a_spec_is_refused(sandbox):
    (sandbox / "specs").mkdir()
    (sandbox / "specs" / "a.yaml").write_text(SPEC)
    code, out, err = run("check", "specs", "-o", "specs/a.yaml")
    assert code == 2 and "is the spec specs/a.yaml" in one_line(err)
    assert (sandbox / "specs" / "a.yaml").read_text() == SPEC


def _has_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


# --- 2. reports are written atomically ------------------------------------------------------------


def test_a_failed_write_leaves_the_old_report(sandbox, monkeypatch):
    (sandbox / "v.yaml").write_text(SPEC)
    report = sandbox / "report.json"
    report.write_text("old report\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    import netspec.outfile

    with monkeypatch.context() as m:
        m.setattr(netspec.outfile.os, "fsync", full)
        code, out, err = run("check", "v.yaml", "-f", "json", "-o", "report.json")
    clean(out, err)
    assert code == 2
    assert one_line(err) == "netspec: error: cannot write report.json: No space left on device"
    assert report.read_text() == "old report\n"
    assert sorted(p.name for p in sandbox.iterdir()) == ["report.json", "v.yaml"]  # no temporary file left


def test_report_replaces_the_old_one_keeping_mode_and_links(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    (sandbox / "out").mkdir()
    real = sandbox / "out" / "report.json"
    real.write_text("old\n")
    os.chmod(real, 0o640)
    os.symlink("out/report.json", sandbox / "latest.json")
    code, out, err = run("check", "v.yaml", "-f", "json", "-o", "latest.json")
    assert code == 0 and out == "" and err == ""
    assert (sandbox / "latest.json").is_symlink()  # the link stays, its target is the new report
    assert json.loads(real.read_text())["files"][0]["network"]["totals"]["params"] == 386
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in (sandbox / "out").iterdir()) == ["report.json"]


def test_a_new_report_gets_the_usual_mode(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    old = os.umask(0o022)
    try:
        assert run("check", "v.yaml", "-o", "new.txt")[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((sandbox / "new.txt").stat().st_mode) == 0o644
    assert "ok — 2 layers" in (sandbox / "new.txt").read_text()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_output_to_a_full_device(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    code, out, err = run("check", "v.yaml", "-o", "/dev/full")
    clean(out, err)
    assert code == 2 and one_line(err) == "netspec: error: cannot write /dev/full: No space left on device"


def test_output_into_a_missing_folder_or_onto_a_directory(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    code, _, err = run("check", "v.yaml", "-o", "nowhere/r.txt")
    assert code == 2 and one_line(err) == "netspec: error: cannot write nowhere/r.txt: No such file or directory"
    (sandbox / "d").mkdir()
    code, _, err = run("check", "v.yaml", "-o", "d")
    assert code == 2 and one_line(err) == "netspec: error: cannot write d: Is a directory"


# --- 3 and 4. diff: git options, and the protections check has -----------------------------------


@pytest.fixture
def repo(sandbox):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args):
        subprocess.run(["git", *args], cwd=sandbox, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (sandbox / "net.yaml").write_text(SPEC)
    (sandbox / "big.yaml").write_text(SPEC + "# " + "x" * 2000 + "\n")
    git("add", "net.yaml", "big.yaml")
    git("commit", "-qm", "base")
    return sandbox


def test_diff_revision_that_looks_like_an_option_is_refused(repo):
    before = sorted(p.name for p in repo.iterdir())
    code, out, err = run("diff", "--", "--output=pwned:x", "net.yaml")
    clean(out, err)
    assert code == 2
    assert one_line(err) == ("netspec: error: --output=pwned:x: a revision cannot start with `-` "
                             "(it would be read as an option of git)")
    assert sorted(p.name for p in repo.iterdir()) == before  # no `pwned` file


def test_diff_calls_git_with_end_of_options(repo, monkeypatch):
    calls = []
    real = subprocess.Popen

    def spy(args, *a, **kw):
        calls.append(list(args))
        return real(args, *a, **kw)

    with monkeypatch.context() as m:
        m.setattr(subprocess, "Popen", spy)
        code, out, err = run("diff", "HEAD:net.yaml", "net.yaml", "-f", "json")
    assert code == 0, err
    assert calls == [["git", "show", "--end-of-options", "HEAD:net.yaml"]]
    # a path that begins with dashes stays a path: git looks for it at HEAD and finds none
    code, out, err = run("diff", "HEAD:--output=pwned", "net.yaml", "-f", "json")
    assert code == 0 and json.loads(out)["base"]["exists"] is False, err
    assert sorted(p.name for p in repo.iterdir()) == [".git", "big.yaml", "net.yaml"]


def test_diff_has_the_file_size_limit_on_both_sides(repo):
    # big.yaml is 2,101 bytes: 123 of SPEC, "# " + 2,000 x + newline = 2,003, ... over 1 KiB on both sides
    code, out, err = run("diff", "HEAD:big.yaml", "big.yaml", "--max-file-size", "1KiB")
    clean(out, err)
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("HEAD:big.yaml:1:1: error[NS010] the file is over the limit of 1,024 bytes")
    assert lines[1].startswith("big.yaml:1:1: error[NS010] the file is")
    assert lines[-1] == ("netspec: diff: the base HEAD:big.yaml and the head big.yaml have errors (above), "
                         "so there is nothing to compare; exit 1")
    assert run("diff", "HEAD:big.yaml", "big.yaml", "--max-file-size", "3KiB")[0] == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_diff_refuses_fifos_and_devices(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    os.mkfifo(sandbox / "pipe.yaml")  # nobody writes: reading it would block forever
    os.symlink("/dev/zero", sandbox / "zero.yaml")  # reading it would never end
    for side in ("pipe.yaml", "zero.yaml"):
        proc = run_process("diff", "v.yaml", side, cwd=sandbox, timeout=60, text=True)
        clean(proc.stdout, proc.stderr)
        assert proc.returncode == 2
        assert proc.stderr.splitlines()[0] == (f"{side}:1:1: error[NS001] {side} is not a regular file "
                                               "(a device, FIFO or socket)")


# --- 5. no forged workflow commands or lines ------------------------------------------------------

FORGED = "a\n::error file=forged.yaml,line=1::pwned\n.yaml"


def _commands(out: str) -> list[str]:
    """The lines a GitHub runner would act on: those starting (after blanks) with `::`, up to a
    `::stop-commands::TOKEN` and from its `::TOKEN::` on."""
    acted, stopped = [], None
    for line in out.splitlines():
        s = line.lstrip()
        if stopped is not None:
            if s == f"::{stopped}::":
                stopped = None
            continue
        if s.startswith("::stop-commands::"):
            stopped = s[len("::stop-commands::"):]
            continue
        if s.startswith("::"):
            acted.append(s)
    return acted


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_a_file_name_with_a_newline_forges_nothing(sandbox, fmt):
    (sandbox / FORGED).write_text(SPEC.replace("filters: 8", "filterz: 8"))
    code, out, err = run("check", FORGED, "--layers", "-f", fmt)
    clean(out, err)
    assert code == 1
    assert not any(line.startswith(("::", "forged", ".yaml")) for line in out.splitlines() if fmt == "text")
    acted = _commands(out)
    assert len(acted) == (1 if fmt == "github" else 0)
    if acted:  # the one real annotation, with the name escaped as a property
        assert acted[0].startswith("::error file=a%0A%3A%3Aerror file=forged.yaml%2Cline=1%3A%3Apwned%0A.yaml,line=5,")
    assert f"a\\n::error file=forged.yaml,line=1::pwned\\n.yaml:5:" in out


def test_a_file_name_like_a_workflow_command_does_not_start_a_line(sandbox):
    (sandbox / "specs").mkdir()
    name = "::error file=x,line=1::pwned.yaml"
    (sandbox / "specs" / name).write_text(SPEC + "  - {type: relu, units: 3}\n")
    os.chdir(sandbox / "specs")
    for fmt in ("text", "github"):
        code, out, err = run("check", ".", "-f", fmt)
        clean(out, err)
        assert code == 1
        assert _commands(out) == ([] if fmt == "text" else [out.splitlines()[0]])
        assert f"./{name}:7:18: error[NS101]" in out  # `units` of the relu, line 7


def test_budget_policy_messages_are_one_line(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    policy = "team\n::error::forged.yaml"
    (sandbox / policy).write_text("budget: {macs: 1M}\n")
    code, out, err = run("check", "v.yaml", "--budget-file", policy)
    assert code == 2 and out == ""
    assert one_line(err) == ("netspec: error: team\\n::error::forged.yaml:1:10: [NS303] unknown budget key `macs` "
                             "(did you mean `maccs`?)")


# --- 6. markdown renders what it says, nothing else -----------------------------------------------


def _html(markdown_text: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable("table").render(markdown_text)


def _outside_code(html: str) -> str:
    import re

    return re.sub(r"<code>.*?</code>", "", html, flags=re.S)


def test_markdown_escapes_keys_from_the_spec(sandbox):
    path = str(HOSTILE / "markdown_injection_in_key.yaml")
    code, out, err = run("check", path, "-f", "markdown", "--layers")
    clean(out, err)
    assert code == 1
    html = _html(out)
    rest = _outside_code(html)
    for danger in ("<img", "<a ", "<details open", "@octocat", "https://evil"):
        assert danger not in rest, (danger, html)
    assert "<img src=x" not in html  # inside the code span too, only as &lt;img
    # the whole message is one code span, key included (the line and column: the key's quote, 5:18)
    assert "line 5:18: <code>unknown key `x` &lt;img src=x onerror=alert(1)&gt;" in html


def test_markdown_escapes_file_names_and_table_cells(sandbox):
    from netspec.report.escape import md_cell, md_code

    name = "`<img src=x>` @octocat [a](javascript:alert(1)) | ``x``.yaml"
    (sandbox / name).write_text(SPEC)
    code, out, err = run("check", name, "-f", "markdown", "--layers")
    assert code == 0
    html = _html(out)
    assert all(d not in _outside_code(html) for d in ("<img", "<a ", "@octocat"))
    assert "<h3>✅ <code>`&lt;img src=x&gt;` @octocat [a](javascript:alert(1)) | ``x``.yaml</code>" in html
    # a pipe in a table cell: an odd number of backslashes before it, whatever precedes it
    for text in ("a|b", "a\\|b", "a\\\\|b", "|", "\\"):
        table = "| h |\n|---|\n| " + md_cell(md_code(text)) + " |\n"
        cells = _html(table).split("<tbody>")[1]
        assert cells.count("<td>") == 1, (text, cells)


# --- 7. CSV injection and file names that are not UTF-8 -------------------------------------------


@pytest.mark.parametrize("name", ["=HYPERLINK(1).yaml", "+1.yaml", "-2.yaml", "@SUM(A1).yaml", "\tx.yaml"])
def test_csv_cells_are_not_formulas(sandbox, name):
    import csv

    (sandbox / name).write_text(SPEC)
    code, out, err = run("check", "-f", "csv", "--", name)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    # a tab is shown as the two characters \t, which no spreadsheet reads as a formula either
    assert rows and all(r["file"] == ("\\tx.yaml" if name[0] == "\t" else "'" + name) for r in rows)
    assert [int(r["params"]) for r in rows] == [296, 90, 386]  # numbers stay numbers


NOT_UTF8 = os.fsdecode(b"caf\xe9.yaml")  # Latin-1 bytes: a lone surrogate in Python


def test_diff_file_names_that_are_not_utf8(sandbox):
    """diff in each of its formats, to a file and to stdout: valid UTF-8, the byte shown as \\xe9."""
    (sandbox / NOT_UTF8).write_text(SPEC)
    (sandbox / "v.yaml").write_text(SPEC.replace("units: 10", "units: 20"))
    for fmt in ("text", "json", "markdown", "html", "mermaid"):
        code, out, err = run("diff", NOT_UTF8, "v.yaml", "-f", fmt, "-o", "d.out")
        clean(out, err)
        assert code == 0 and err == "", (fmt, err)
        text = (sandbox / "d.out").read_bytes().decode("utf-8")
        code, out, err = run("diff", NOT_UTF8, "v.yaml", "-f", fmt)
        assert code == 0 and out == text, fmt
        out.encode("utf-8")  # no lone surrogate on stdout either
        shown = "\n".join(values(json.loads(text), str)) if fmt == "json" else text
        assert "caf\\xe9.yaml" in shown and "\\udc" not in shown, fmt


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "csv", "github", "sarif", "html"])
def test_file_names_that_are_not_utf8(sandbox, fmt, monkeypatch):
    (sandbox / NOT_UTF8).write_text(SPEC)
    missing = os.fsdecode(b"gone\xff.yaml")
    summary = sandbox / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for files, status in (([NOT_UTF8], 0), ([NOT_UTF8, missing], 2)):
        code, out, err = run("check", *files, "-f", fmt, "-o", "report.out")
        clean(out, err)
        assert code == status and out == "" and err == ""
        text = (sandbox / "report.out").read_bytes().decode("utf-8")  # the report is valid UTF-8
        if fmt in ("json", "sarif"):
            assert "\\ud" not in text  # no lone surrogate, even escaped
            shown = "\n".join(values(json.loads(text), str))
        else:
            shown = text
        if fmt == "html":  # the title, and the page's data (JSON inside the page: one more backslash)
            assert "caf\\\\xe9.yaml" in shown and (status == 2 or "caf\\xe9.yaml" in shown.split("</title>")[0])
            assert "&#5" not in shown  # no character reference to a lone surrogate
        elif fmt != "sarif":  # SARIF names files only in results
            assert "caf\\xe9.yaml" in shown
        if status == 2 and fmt != "csv":  # CSV holds costs only
            assert any(f"gone{b}xff.yaml" in shown for b in ("\\", "\\\\")) or "gone%FF.yaml" in shown
        if fmt == "github":
            assert "caf\\xe9.yaml" in summary.read_text(encoding="utf-8")


# --- 11. limit flags have caps; stdout that cannot be written ---------------------------------------


@pytest.mark.parametrize("flag,value,message", [
    ("--max-depth", "5000", "--max-depth 5000 is over its cap of 256"),
    ("--max-call-depth", "1000", "--max-call-depth 1000 is over its cap of 100"),
    ("--max-file-size", str(2**63), f"--max-file-size {2**63} is over its cap of 1GiB"),
])
def test_limit_flags_have_caps(sandbox, flag, value, message):
    (sandbox / "v.yaml").write_text(SPEC)
    code, out, err = run("check", "v.yaml", flag, value)
    clean(out, err)
    assert code == 2 and one_line(err).startswith(f"netspec: error: {message}")


def test_the_caps_themselves_are_safe(sandbox):
    """At the caps, nesting 256 deep everywhere a spec can nest, and 100 block calls deep, give
    diagnostics (or pass), never a RecursionError (NS000)."""
    deep = "[" * 250 + "]" * 250
    for layer in (f"{{type: relu, note: {deep}}}", f"{{type: relu, notes: {deep}}}", f"{{type: dense, units: {deep}}}",
                  f"{{type: add, inputs: {deep}}}"):
        (sandbox / "deep.yaml").write_text("netspec: 1\nname: x\ninput: {channels: 3}\nparams: {p: %s}\n"
                                           "layers:\n  - %s\n" % (deep, layer))
        code, out, err = run("check", "deep.yaml", "--max-depth", "256", "-f", "json")
        clean(out, err)
        assert code == 1 and json.loads(out)["files"][0]["diagnostics"]
    blocks = "".join(f"  b{k}:\n    layers:\n      - {{type: b{k + 1}}}\n" for k in range(100))
    (sandbox / "calls.yaml").write_text("netspec: 1\nname: x\ninput: {channels: 3}\nblocks:\n" + blocks
                                        + "  b100:\n    layers:\n      - {type: relu}\n"
                                        + "layers:\n  - {type: b0}\n")
    code, out, err = run("check", "calls.yaml", "--max-call-depth", "100")
    clean(out, err)
    assert code == 1 and "error[NS214]" in out  # the 101st call
    assert run("check", "calls.yaml", "--max-call-depth", "100", "--max-depth", "256")[0] == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args", [["--version"], ["schema"], ["explain"], ["check", "v.yaml", "--layers"],
                                  ["--help"]])
def test_stdout_full(sandbox, args):
    (sandbox / "v.yaml").write_text(SPEC)
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "netspec", *args], cwd=sandbox, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 2
    assert one_line(proc.stderr) == "netspec: error: cannot write to standard output: No space left on device"


@pytest.mark.parametrize("args", ["--version", "check v.yaml", "check v.yaml -f json"])
def test_stdout_closed(sandbox, args):
    (sandbox / "v.yaml").write_text(SPEC)
    netspec = f"'{sys.executable}' -m netspec"
    proc = subprocess.run(["sh", "-c", f"exec {netspec} {args} >&-"], cwd=sandbox, stderr=subprocess.PIPE, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert one_line(proc.stderr) == "netspec: error: cannot write to standard output: standard output is closed"
    # with -o the report does not need stdout
    proc = subprocess.run(["sh", "-c", f"exec {netspec} {args} -o r.txt >&-"], cwd=sandbox, stderr=subprocess.PIPE,
                          text=True, timeout=60)
    if args != "--version":
        assert proc.returncode == 0 and proc.stderr == "" and "386" in (sandbox / "r.txt").read_text()


def test_broken_pipe(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    proc = subprocess.Popen([sys.executable, "-c", "import time, sys, runpy; time.sleep(0.5); "
                             "sys.argv = ['netspec', 'check', 'v.yaml']; runpy.run_module('netspec', run_name='__main__')"],
                            cwd=sandbox, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # the reader is gone before netspec writes
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 2
    assert one_line(err) == "netspec: error: cannot write to standard output: Broken pipe"


# --- 15. budget-policy patterns ------------------------------------------------------------------------


@pytest.mark.parametrize("spelled", ["specs/small.yaml", "./specs/small.yaml", "{abs}/specs/small.yaml",
                                     "specs/../specs/small.yaml", "specs"])
def test_policy_patterns_match_paths_relative_to_the_policy(sandbox, spelled):
    (sandbox / "specs").mkdir()
    (sandbox / "specs" / "small.yaml").write_text(SPEC)
    (sandbox / "team.yaml").write_text("specs:\n  specs/*.yaml: {params: 300}\n")
    code, out, err = run("check", spelled.format(abs=sandbox), "--budget-file", "team.yaml")
    assert code == 1, out  # 386 params against 300: +86, 28.7 %
    # `params` after "  specs/*.yaml: {" (17 characters)
    assert "error[NS301] total params 386 exceed the budget 300 by 86 (28.7%) [budget at team.yaml:2:18]" in out
    # from another folder, the policy still means its own specs/ folder
    os.chdir(sandbox / "specs")
    code, out, err = run("check", "small.yaml", "--budget-file", "../team.yaml")
    assert code == 1 and "[budget at ../team.yaml:2:18]" in out


def test_a_pattern_that_matches_nothing_is_a_warning(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    (sandbox / "team.yaml").write_text("budget: {params: 1M}\nspecs:\n  specz/*.yaml: {params: 1}\n  small: {maccs: 1G}\n")
    code, out, err = run("check", "v.yaml", "--budget-file", "team.yaml")
    clean(out, err)
    assert code == 0  # a warning
    assert "team.yaml:3:3: warning[NS306] the budget pattern `specz/*.yaml` matched none of the specs checked" in out
    assert "small" not in out.split("warning[NS306]")[1]  # `small` matched the spec's name
    assert run("check", "v.yaml", "--budget-file", "team.yaml", "--strict")[0] == 1
    code, out, _ = run("check", "v.yaml", "--budget-file", "team.yaml", "--ignore", "NS306")
    assert code == 0 and "NS306" not in out
    doc = json.loads(run("check", "v.yaml", "--budget-file", "team.yaml", "-f", "json")[1])
    assert [(f["path"], [(d["code"], d["line"], d["column"]) for d in f["diagnostics"]]) for f in doc["files"]] == [
        ("v.yaml", []), ("team.yaml", [("NS306", 3, 3)])]


# --- 16. directory scans --------------------------------------------------------------------------


def test_a_scan_reports_what_it_cannot_read(sandbox):
    specs = sandbox / "specs"
    specs.mkdir()
    (specs / "good.yaml").write_text(SPEC)
    os.symlink("gone.yaml", specs / "dangling.yaml")
    os.symlink("/dev/zero", specs / "zero.yaml")
    if hasattr(os, "mkfifo"):
        os.mkfifo(specs / "pipe.yml")
    proc = run_process("check", "specs", cwd=sandbox, timeout=60, text=True)
    clean(proc.stdout, proc.stderr)
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert ("specs/dangling.yaml:1:1: error[NS001] specs/dangling.yaml is a dangling symlink (to gone.yaml, which "
            "does not exist)") in lines
    assert "specs/zero.yaml:1:1: error[NS001] specs/zero.yaml is not a regular file (a device, FIFO or socket)" in lines
    if hasattr(os, "mkfifo"):
        assert "specs/pipe.yml:1:1: error[NS001] specs/pipe.yml is not a regular file (a device, FIFO or socket)" in lines
    assert "All" not in proc.stdout and "clean" not in proc.stdout


def test_an_empty_directory_argument_is_a_warning(sandbox):
    (sandbox / "v.yaml").write_text(SPEC)
    (sandbox / "empty").mkdir()
    code, out, err = run("check", "v.yaml", "empty")
    assert code == 0 and "v.yaml: ok" in out
    assert one_line(err) == "netspec: warning: empty: no *.yaml or *.yml files in this directory"
    code, out, err = run("check", "empty")
    assert code == 2 and err.splitlines()[-1] == "netspec: error: no spec files found in empty"


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists every directory")
def test_an_unlistable_directory_is_reported(sandbox):
    locked = sandbox / "specs" / "locked"
    locked.mkdir(parents=True)
    (sandbox / "specs" / "good.yaml").write_text(SPEC)
    os.chmod(locked, 0)
    try:
        code, out, err = run("check", "specs")
    finally:
        os.chmod(locked, 0o755)
    assert code == 2 and "specs/locked:1:1: error[NS001] cannot list the directory specs/locked" in out


# --- 19b. --fail-on-increase takes real amounts ------------------------------------------------------


@pytest.mark.parametrize("rule", ["maccs=nan%", "maccs=inf%", "maccs=-5%", "maccs=1e999%", "maccs=%", "params=-1"])
def test_fail_on_increase_refuses_non_amounts(sandbox, rule):
    (sandbox / "v.yaml").write_text(SPEC)
    code, out, err = run("diff", "v.yaml", "v.yaml", "--fail-on-increase", rule)
    clean(out, err)
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"netspec: error: --fail-on-increase {rule}: ")


# --- 10. analyze(dict) raises SpecError and nothing else ---------------------------------------------


def test_analyze_dict_with_two_unknown_layers_raises_spec_error(sandbox):
    """Without positions (a dict has none) the two layers' NS105 were one diagnostic, the second
    layer went on to expansion with `inputs: []` and raised IndexError."""
    import itertools

    import netspec
    from netspec.api import SpecError

    base = {"netspec": 1, "name": "x", "input": {"height": 8, "width": 8, "channels": 3}}
    for a, b, inputs in itertools.product(["foo", "relu", "add", "conv"], ["foo", "add", "concat"],
                                          [[], [-1], ["x"], [[]], {}]):
        spec = dict(base, layers=[{"type": a}, {"type": b, "inputs": inputs}])
        with pytest.raises(SpecError) as info:
            netspec.analyze(spec)
        assert info.value.diagnostics, spec
    with pytest.raises(SpecError) as info:
        netspec.analyze(dict(base, layers=[{"type": "foo"}, {"type": "foo", "inputs": []}]))
    assert [(d.code, d.path) for d in info.value.diagnostics] == [("NS105", "layers[0].type"),
                                                                 ("NS105", "layers[1].type")]


# --- 14. JSON of a large accepted spec is written as a stream --------------------------------------


def test_json_of_30000_layers_in_a_16_deep_chain_streams(sandbox):
    """30,000 layers each 16 block calls deep: a 49 MB report. Held as one document it took 838 MB;
    streamed it fits in 256 MiB of address space (and parses, with every layer)."""
    import resource

    lines = ["netspec: 1", "name: chain", "input: {channels: 8}", "blocks:"]
    for k in range(15):
        lines += [f"  b{k}:", "    layers:", f"      - {{type: b{k + 1}}}"]
    lines += ["  b15:", "    layers:", "      - {type: relu, repeat: 5000}", "layers:", "  - {type: b0, repeat: 6}"]
    (sandbox / "chain.yaml").write_text("\n".join(lines) + "\n")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (256 * 2**20, 256 * 2**20))

    proc = subprocess.run([sys.executable, "-m", "netspec", "check", "chain.yaml", "-f", "json", "-o", "r.json"],
                          cwd=sandbox, capture_output=True, text=True, timeout=300, preexec_fn=limit)
    clean(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((sandbox / "r.json").read_text())
    net = doc["files"][0]["network"]
    assert net["totals"]["layers"] == len(net["layers"]) == 30000
    assert len(net["layers"][-1]["source"]["calls"]) == 16
    assert net["layers"][-1]["name"] == "b0_0.5." + "".join(f"b{k}_0." for k in range(1, 16)) + "relu_0.4999"


def test_json_stream_matches_the_facts(sandbox):
    """The streamed report parses to exactly file_dict of every result (report/facts.py)."""
    from netspec.pipeline import check_path
    from netspec.report import Report, render
    from netspec.report.facts import file_dict

    results = [check_path(str(ROOT / "specs" / name)) for name in ("tiny.yaml", "resnet18.yaml")]
    results.append(check_path(str(HOSTILE / "duplicate_key.yaml")))
    streamed = json.loads("".join(render("json", Report(results=results))))
    assert streamed == {"version": 1, "files": [json.loads(json.dumps(file_dict(r))) for r in results]}
    assert json.loads("".join(render("json", Report(results=[])))) == {"version": 1, "files": []}


# --- 17. diff matches layers by their unique names --------------------------------------------------


def test_diff_blames_the_right_layer_when_names_could_collide(sandbox):
    """`conv_0` is the generated name of an unnamed conv at index 0; a layer written `conv_0` is
    NS207, so diff never matches the wrong one."""
    head = "netspec: 1\nname: n\ninput: {height: 8, width: 8, channels: 4}\nlayers:\n"
    (sandbox / "base.yaml").write_text(head + "  - {type: conv, filters: 8, kernel: 3}\n  - {name: c, type: relu}\n")
    (sandbox / "head.yaml").write_text(head + "  - {type: conv, filters: 8, kernel: 3}\n  - {name: conv_0, type: relu}\n")
    code, out, err = run("diff", "base.yaml", "head.yaml", "-f", "json")
    assert code == 1 and "head.yaml:6:12: error[NS207] `conv_0` is also the name" in err


# --- 18. names that are nn.Module's internals export to a module that runs ---------------------------


INTERNAL_NAMES = ["_modules", "_parameters", "_buffers", "_forward_hooks", "_version", "_apply", "training",
                  "forward", "__init__", "__dict__", "state_dict", "x", "self", "torch", "class", "None"]


def test_export_names_that_are_module_internals(sandbox):
    """Every layer named like a member of nn.Module (private ones included) or a Python keyword gets
    an attribute of its own; the exported file runs and its module counts what netspec counts."""
    torch = pytest.importorskip("torch")
    layers = "".join(f"  - {{name: {n}, type: conv, filters: 4, kernel: 1}}\n" for n in INTERNAL_NAMES)
    (sandbox / "names.yaml").write_text("netspec: 1\nname: names\ninput: {height: 4, width: 4, channels: 4}\n"
                                        "layers:\n" + layers)
    code, out, err = run("export", "names.yaml", "-o", "names_model.py")
    clean(out, err)
    assert code == 0, err
    namespace: dict = {}
    exec(compile((sandbox / "names_model.py").read_text(), "names_model.py", "exec"), namespace)
    model_class = next(v for v in namespace.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)
                       and v is not torch.nn.Module)
    model = model_class()
    y = model(torch.zeros(1, 4, 4, 4))
    assert tuple(y.shape) == (1, 4, 4, 4)
    # 16 convs 1x1 4->4 with bias: 16 * (16 + 4) params, counted by PyTorch itself
    assert sum(p.numel() for p in model.parameters()) == 16 * 20
    assert len(list(model.children())) == 16


# --- sweep: the protections check has (items 1, 2, 4, 5, 6, 7) ---------------------------------------

SWEPT = SPEC.replace("filters: 8", 'filters: "${w}"').replace("name: small\n", "name: small\nparams: {w: 8}\n")
# c1 with w filters: 3*3*4*w + w params; fc: 10*w + 10 -> w = 8: 296 + 90 = 386, w = 4: 148 + 50 = 198


def test_sweep_output_that_is_an_input_is_refused(sandbox):
    (sandbox / "v.yaml").write_text(SWEPT)
    (sandbox / "budget.yaml").write_text("budget: {params: 1M}\n")
    os.symlink("v.yaml", sandbox / "link.yaml")
    for target, what in (("v.yaml", "spec v.yaml"), ("link.yaml", "spec v.yaml"), ("budget.yaml", "budget file")):
        code, out, err = run("sweep", "v.yaml", "-s", "w=4,8", "--budget-file", "budget.yaml", "-o", target)
        clean(out, err)
        assert code == 2 and out == ""
        assert one_line(err).startswith(f"netspec: error: --output-file {target} is the {what}"), err
    assert (sandbox / "v.yaml").read_text() == SWEPT
    assert (sandbox / "budget.yaml").read_text() == "budget: {params: 1M}\n"


def test_sweep_report_is_written_atomically(sandbox, monkeypatch):
    (sandbox / "v.yaml").write_text(SWEPT)
    (sandbox / "r.csv").write_text("old report\n")
    import netspec.outfile

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(netspec.outfile.os, "fsync", full)
        code, out, err = run("sweep", "v.yaml", "-s", "w=4,8", "-f", "csv", "-o", "r.csv")
    clean(out, err)
    assert code == 2 and one_line(err) == "netspec: error: cannot write r.csv: No space left on device"
    assert (sandbox / "r.csv").read_text() == "old report\n"
    assert sorted(p.name for p in sandbox.iterdir()) == ["r.csv", "v.yaml"]
    code, out, err = run("sweep", "v.yaml", "-s", "w=4,8", "-f", "csv", "-o", "r.csv")
    assert code == 0 and out == "" and err == ""
    import csv

    rows = list(csv.DictReader(io.StringIO((sandbox / "r.csv").read_text())))
    # MACCs: c1 8*8 positions * 3*3*4 * w, fc 8*8 positions * w * 10 -> 2,944 w
    assert [(r["w"], r["params"], r["maccs"]) for r in rows] == [("4", "198", "11776"), ("8", "386", "23552")]


def test_sweep_reads_the_spec_as_check_does(sandbox):
    """A FIFO would block the read, /dev/zero never ends, a huge file is read whole: each is refused
    before reading, as `check` refuses it (a subprocess, so a hang is a timeout, not a stuck suite)."""
    os.mkfifo(sandbox / "fifo.yaml")
    with open(sandbox / "big.yaml", "wb") as fh:
        fh.truncate(10 * 2**20 + 1)
    for path, says in (("fifo.yaml", "fifo.yaml:1:1: [NS001] fifo.yaml is not a regular file"),
                       ("/dev/zero", "/dev/zero:1:1: [NS001] /dev/zero is not a regular file"),
                       ("big.yaml", "big.yaml:1:1: [NS010] the file is 10,485,761 bytes, over the limit")):
        proc = run_process("sweep", path, "-s", "w=4,8", cwd=sandbox, timeout=30, text=True)
        clean(proc.stdout, proc.stderr)
        assert proc.returncode == 2 and proc.stdout == ""
        assert one_line(proc.stderr).startswith("netspec: error: " + says), proc.stderr


def test_sweep_escapes_user_text_per_format(sandbox):
    """A file name and param values that would be markup, a formula or a second line: code spans in
    markdown, a leading `'` in CSV, one visible line in text."""
    import csv

    name = "`<img src=x>` @octocat.yaml"
    (sandbox / name).write_text(SWEPT)
    args = ("sweep", name, "-s", "w=`<img src=x>`@a,=1+2,a\n::error::x,8")
    code, md, err = run(*args, "-f", "markdown")
    clean(md, err)
    assert code == 0
    html = _html(md)
    assert all(d not in _outside_code(html) for d in ("<img", "@octocat")), html
    assert "<code>`&lt;img src=x&gt;` @octocat.yaml</code>" in html
    assert html.count("<tr>") == 1 + 4  # the header and four points: nothing broke a row
    code, text_csv, err = run(*args, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(text_csv)))
    assert [r["w"] for r in rows] == ["`<img src=x>`@a", "'=1+2", "a\\n::error::x", "8"]
    assert rows[0]["diagnostic"].startswith("`<img") and rows[3]["params"] == "386"
    code, text, err = run(*args)
    assert len(text.splitlines()) == 1 + 4 + 1 and not any(line.startswith("::") for line in text.splitlines())


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "markdown", "html"])
def test_sweep_file_names_that_are_not_utf8(sandbox, fmt):
    (sandbox / NOT_UTF8).write_text(SWEPT)
    for out_file in ("report.out", None):
        code, out, err = run("sweep", NOT_UTF8, "-s", "w=0,8", "-f", fmt, *(["-o", out_file] if out_file else []))
        clean(out, err)
        assert code == 0 and err == ""
        text = (sandbox / "report.out").read_bytes().decode("utf-8") if out_file else out
        text.encode("utf-8")  # no lone surrogate: the report is valid UTF-8
        if fmt == "json":
            doc = json.loads(text)
            assert doc["spec"] == "caf\\xe9.yaml" and doc["rows"][0]["diagnostic"]["file"] == "caf\\xe9.yaml"
        else:  # the point w=0 fails, and its diagnostic names the file (HTML: inside JSON, so \\)
            assert ("caf\\\\xe9.yaml" if fmt == "html" else "caf\\xe9.yaml") in text


def test_import_messages_are_one_line_each(sandbox):
    """`netspec import`: the model's file name and op type are the user's text, printed escaped."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])
    node = helper.make_node("Erf", ["x"], ["y"], name="n\n::error::node")  # no netspec layer computes Erf
    name = "m\n::error file=forged.yaml,line=1::pwned\x1b[2J.onnx"
    onnx.save(helper.make_model(helper.make_graph([node], "g", [x], [y])), str(sandbox / name))
    code, out, err = run("import", name, "-o", "out.yaml")
    clean(out, err)
    assert code == 1 and out == "" and not (sandbox / "out.yaml").exists()
    lines = err.splitlines()
    assert len(lines) == 2 and not any(line.startswith("::") or "\x1b" in line for line in lines), err
    assert lines[0].startswith("m\\n::error file=forged.yaml,line=1::pwned\\x1b[2J.onnx: error: node 'n\\n::error::node'")


def test_device_profile_text_is_one_line_each(sandbox):
    """`netspec devices --device-file`: a profile's name and title are the user's text (a team's
    profile can come with a pull request): one visible line each, no escape sequence."""
    profile = (ROOT / "netspec" / "devices" / "a100-sxm4-80gb.yaml").read_text(encoding="utf-8")
    profile = profile.replace("name: a100-sxm4-80gb", 'name: "evil\\n::error file=x,line=1::pwned\\e[2J"')
    (sandbox / "dev.yaml").write_text(profile)
    code, out, err = run("devices", "--device-file", "dev.yaml")
    clean(out, err)
    assert code == 0
    assert not any(line.startswith("::") or "\x1b" in line for line in out.splitlines())
    assert "evil\\n::error file=x,line=1::pwned\\x1b[2J — NVIDIA A100" in out
