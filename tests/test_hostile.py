"""Hostile and broken input: every file gets a diagnostic and an exit status; nothing hangs or crashes.

Every expected code, line and column below was worked out by hand from the input file (the
comment on each row says how), never copied from netspec's output. Most cases run the CLI
in-process; a few run `python -m netspec` in a subprocess, under resource limits where the point
is a bound on time or memory.
"""

from __future__ import annotations

import io
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

# Every test here also checks that no file of the repository was created, changed or removed
# (conftest.untouched_repo); the scripted cases in tests/test_hostile_surfaces.py check their
# temporary directory's surroundings too.
pytestmark = pytest.mark.usefixtures("untouched_repo")

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
PWNED = Path("/tmp/netspec-hostile-pwned")

# The three lines every corpus spec starts with (when it starts with a header at all):
#   1 netspec: 1
#   2 name: hostile
#   3 input: {height: 32, width: 32, channels: 3}
#   4 layers:
#   5   - {...}      a first layer: "  - {" is 5 characters, so its mapping starts at column 5,
#                    "  - {type: dense, units: " is 25 characters (value at column 26),
#                    "  - {type: conv, filters: " is 26 characters (value at column 27).


def run_inprocess(*args: str) -> tuple[int, str, str]:
    from netspec.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return code, out.getvalue(), err.getvalue()


def run_subprocess(*args: str, limits=None, timeout: float = 120) -> tuple[int, str, str]:
    def preexec():
        for what, value in (limits or {}).items():
            resource.setrlimit(what, value)

    proc = subprocess.run([sys.executable, "-m", "netspec", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec if limits else None)
    return proc.returncode, proc.stdout, proc.stderr


def assert_clean_failure(out: str, err: str) -> None:
    """No traceback and no internal error, whatever happened."""
    for text in (out, err):
        assert "Traceback" not in text
        assert "NS000" not in text and "internal error" not in text


def has_diagnostic(out: str, path: str, code: str, line: int, col: int) -> bool:
    return f"{path}:{line}:{col}: error[{code}] " in out


# name -> (exit status, code, line, column, extra CLI arguments); code None means a clean pass.
CASES = {
    # --- files with nothing in them ------------------------------------------------------------
    "empty.yaml": (1, "NS005", 1, 1, ()),
    "whitespace_only.yaml": (1, "NS005", 1, 1, ()),
    "comments_only.yaml": (1, "NS005", 1, 1, ()),
    "top_level_null.yaml": (1, "NS005", 1, 1, ()),            # `~` alone: a null document
    # --- the wrong shape at the top ---------------------------------------------------------------
    "top_level_list.yaml": (1, "NS006", 1, 1, ()),
    "top_level_scalar.yaml": (1, "NS006", 1, 1, ()),
    "two_documents.yaml": (1, "NS009", 6, 1, ()),             # `---` is line 6
    # --- bytes that are not YAML text ---------------------------------------------------------------
    "not_utf8_latin1.yaml": (1, "NS007", 2, 10, ()),          # "name: caf" is 9 characters, then 0xE9
    "nul_byte.yaml": (1, "NS007", 2, 8, ()),                  # "name: a" is 7 characters, then NUL
    "control_character.yaml": (1, "NS007", 2, 11, ()),        # "name: bell" is 10 characters, then BEL
    "binary_png_header.yaml": (1, "NS007", 1, 1, ()),         # 0x89 is the very first byte
    # YAML 1.1 line breaks that YAML 1.2 and editors do not break at: "  - {type: relu}  # reviewed" is 28
    # characters, then U+2028 and a layer a reviewer would read as part of the comment
    "line_separator_in_comment.yaml": (1, "NS007", 5, 29, ()),
    "next_line_in_comment.yaml": (1, "NS007", 6, 18, ()),     # "# a harmless note" is 17, then NEL
    "nul_byte_cr_only.yaml": (1, "NS007", 5, 14, ()),         # CR-only lines; "  - {type: re" is 13, then NUL
    # --- encodings and line endings that are accepted, with the right columns -----------------------
    "utf8_bom_valid.yaml": (0, None, 0, 0, ()),
    "utf8_bom_with_error.yaml": (1, "NS103", 5, 27, ()),      # `many` after "  - {type: conv, filters: "; the BOM is no column
    "crlf_valid.yaml": (0, None, 0, 0, ()),
    "crlf_with_error.yaml": (1, "NS104", 6, 26, ()),          # `-4` after "  - {type: dense, units: "; CR is no column
    "tab_indentation.yaml": (1, "NS002", 5, 1, ()),           # the tab opens line 5
    # an unclosed `{` / `[` at the end of the file: at what was left open ("  - " is 4), not after the end
    "yaml_error_at_end.yaml": (1, "NS002", 5, 5, ()),
    "yaml_error_at_end_no_newline.yaml": (1, "NS002", 5, 5, ()),
    "long_line_64k.yaml": (1, "NS103", 6, 26, ()),            # line 4 is 65,552 characters; the bad units on line 6
    "valid_small.yaml": (0, None, 0, 0, ()),
    # --- YAML resource limits -----------------------------------------------------------------------
    "deep_flow_100000.yaml": (1, "NS012", 1, 65, ()),         # the 65th `[` opens at column 65
    "deep_flow_unclosed.yaml": (1, "NS012", 1, 72, ()),       # "layers: " is 8 chars: root mapping + 63 `[` fit, the 64th `[` is column 72
    "deep_block_mappings.yaml": (1, "NS012", 65, 65, ()),     # mapping k starts at line k, column k
    "billion_laughs.yaml": (1, "NS011", 7, 45, ()),           # see test_billion_laughs_is_refused_cheaply
    # --- YAML features a spec refuses -----------------------------------------------------------------
    "python_object_tag.yaml": (1, "NS004", 5, 5, ()),         # the tag opens the list item at column 5
    "custom_tag.yaml": (1, "NS004", 5, 24, ()),               # "  - {type: relu, note: " is 23 characters
    "duplicate_key.yaml": (1, "NS003", 6, 1, ()),             # the second `layers:`
    "octal_trap.yaml": (1, "NS008", 5, 26, ()),               # 0755
    "alias_to_nothing.yaml": (1, "NS002", 4, 9, ()),          # "layers: " is 8 characters, then *missing
    # --- numbers past 64 bits ----------------------------------------------------------------------------
    "integer_5000_digits.yaml": (1, "NS215", 5, 26, ()),
    "integer_2_pow_63.yaml": (1, "NS215", 5, 27, ()),
    "tensor_over_int64.yaml": (1, "NS215", 3, 8, ()),         # 3037000500**2 > 2**63 - 1; `{` of input is column 8
    "cost_over_int64.yaml": (1, "NS215", 5, 5, ()),           # 3037000500 x 3037000500 MACCs in one layer
    "cost_total_over_int64.yaml": (1, "NS215", 6, 5, ()),     # ~2e18 FLOPs per repeat: the 5th passes 2**63 - 1
    "upsample_scale_1e308.yaml": (1, "NS215", 5, 29, ()),     # "  - {type: upsample, scale: " is 28 characters
    "budget_infinite.yaml": (1, "NS106", 6, 18, ()),          # "budget: {params: " is 17 characters
    "budget_5000_digits.yaml": (1, "NS106", 6, 17, ()),       # "budget: {maccs: " is 16 characters
    "param_not_a_number.yaml": (1, "NS104", 4, 13, ()),       # "params: {w: " is 12 characters; unused, yet NaN is no JSON
    # --- expressions ----------------------------------------------------------------------------------------
    "expression_attribute_access.yaml": (1, "NS201", 5, 27, ()),
    "expression_import.yaml": (1, "NS201", 5, 26, ()),
    "expression_lambda.yaml": (1, "NS201", 5, 26, ()),
    "expression_power_tower.yaml": (1, "NS201", 5, 26, ()),   # 2**2**40
    "expression_string_repeat.yaml": (1, "NS201", 5, 26, ()),  # "9"*10**6
    "expression_too_long.yaml": (1, "NS201", 5, 26, ()),      # 1,204 characters, the limit is 1,000
    "expression_deep_parentheses.yaml": (1, "NS201", 5, 26, ()),
    # --- expansion limits -------------------------------------------------------------------------------------
    "repeat_over_limit.yaml": (1, "NS213", 5, 26, ()),        # "  - {type: relu, repeat: " is 25 characters
    "repeat_expression_huge.yaml": (1, "NS213", 5, 26, ()),
    # blocks b0..b40 take 3 lines each from line 5; the call from b31 (32 calls deep) is on line
    # 7 + 3*31 = 100, its type after "      - {type: " (15 characters)
    "block_call_depth_41.yaml": (1, "NS214", 100, 16, ()),
    "block_recursion.yaml": (1, "NS208", 10, 16, ()),         # pong's `{type: ping}`
    # 10,000 x 10,000 x 10,000 dropped layers: stopped inside the relu entry (line 7, type at column 16)
    "when_false_bomb.yaml": (1, "NS212", 7, 16, ()),
    "too_many_layers.yaml": (1, "NS212", 7, 16, ()),          # 11 calls of 10,000 relus
    # 2,000 inputs per add, 10,000 times: past 10 x 100,000 input references at the 500th add
    "wide_add_repeated.yaml": (1, "NS212", 6, 12, ()),        # "  - {type: " is 11 characters
    # --- the commonest typos (issue 12, item 9): a misspelt header key is NS101 + NS102, never a crash --------
    "input_misspelt_inputs.yaml": (1, "NS101", 3, 1, ()),     # and NS102 `input` at 1:1, see test_misspelt_input
    "lint_not_a_mapping.yaml": (1, "NS103", 4, 7, ()),        # "lint: " is 6 characters
    "lint_ignore_not_a_list.yaml": (1, "NS103", 4, 16, ()),   # "lint: {ignore: " is 15 characters
    # --- bounded work (item 12): 13 expressions of ~490 nodes in each of 10,000 calls; found by hand: the
    # budget of 10,000,000 steps runs out in call 1,586 at `a0` / in call 8 at `a7` (big integers cost more)
    "expression_work_repeat.yaml": (1, "NS216", 10, 34, ()),  # "  - {type: b, repeat: 10000, a0: " is 33
    "expression_work_bigint_repeat.yaml": (1, "NS216", 10, None, ()),  # the column of `a7`'s value: see below
    # a block argument of 10,000 numbers, compared whole 13 times by the block's `when`, in each of 10,000 calls:
    # each call evaluates the list (4 steps an element: 40,000); the first also runs the `when` once (the other
    # calls reuse its expansion), 13 `==` of two 10,000-element lists (260,000) and its ~50 syntax nodes, so
    # (10,000,000 - 260,053) / 40,000 = 243.5: call 243 (0-based) runs out, at `d` ("  - {type: b, repeat:
    # 10000, d: " is 32 characters)
    "list_argument_repeat.yaml": (1, "NS216", 10, 33, ()),
    # --- names (item 13): 600 + 1 + 600 characters in one full name; the inner name at "      - {name: " (15)
    "name_too_long_nested.yaml": (1, "NS217", 7, 16, ()),
    # a 32-deep call chain on 90,000 layers: ~140 MB of names and chains in every report; stopped at the relu
    # of b31 (line 4 + 3 * 31 + 3 = 100, its mapping at column 9) where the total passes 64,000,000
    "call_chain_report_bomb.yaml": (1, "NS217", 100, 9, ()),
    # --- names that collide or are shadowed (items 17, 19) ---------------------------------------------------
    "generated_name_collision.yaml": (1, "NS207", 6, 12, ()),
    "name_trailing_newline.yaml": (1, "NS104", 5, 12, ()),     # "conv\n": `$` is the end of the text (item 18)  # the unnamed conv is `conv_0`; "  - {name: " is 11
    "param_named_i.yaml": (1, "NS104", 4, 10, ()),            # "params: {" is 9 characters
    "block_arg_named_in_channels.yaml": (1, "NS104", 6, 12, ()),  # "    args: {" is 11 characters
    # --- hostile text in messages -----------------------------------------------------------------------------
    "escape_sequences_in_key.yaml": (1, "NS101", 4, 1, ()),
    # a key that closes a markdown code span and opens HTML, a link and a mention: "  - {type: relu, " is 17
    "markdown_injection_in_key.yaml": (1, "NS101", 5, 18, ()),
    # --- every layer dropped: the network is its input (peak memory = the input, nothing printed as None) ------
    "when_false_every_layer.yaml": (0, None, 0, 0, ()),
    # --- big but fine: 20,000 params and a 10,000-layer repeat (params were copied per layer) -----------------
    "many_params_with_repeat.yaml": (0, None, 0, 0, ()),
}

# Run through `python -m netspec` for real; the rest in-process.
SUBPROCESS = {"python_object_tag.yaml", "expression_import.yaml", "deep_flow_100000.yaml", "crlf_with_error.yaml",
              "not_utf8_latin1.yaml", "escape_sequences_in_key.yaml"}


def test_every_corpus_file_has_a_row():
    files = {p.name for p in HOSTILE.glob("*.yaml")}
    assert files == set(CASES), (files ^ set(CASES))


def _column_of(name: str, line: int, needle: str) -> int:
    text = (HOSTILE / name).read_text(encoding="utf-8").splitlines()[line - 1]
    return text.index(needle) + len(needle) + 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file(name):
    status, code, line, col, extra = CASES[name]
    if col is None:  # a column too far along a long line to count by hand: found from the file
        col = _column_of(name, line, 'a7: ')
    path = str(HOSTILE / name)
    args = ("check", path, *extra)
    if name in SUBPROCESS:
        got, out, err = run_subprocess(*args, timeout=120)
    else:
        got, out, err = run_inprocess(*args)
    assert_clean_failure(out, err)
    assert got == status, (out, err)
    if code is None:
        assert "error[" not in out and f"{path}: ok" in out
        return
    assert has_diagnostic(out, path, code, line, col), out[:2000]
    for text_line in out.splitlines():  # every line is one diagnostic, or the summary
        assert len(text_line) < 1500
    assert not PWNED.exists(), "a spec executed code"


def test_hostile_text_cannot_forge_lines_or_escapes():
    path = str(HOSTILE / "escape_sequences_in_key.yaml")
    for fmt in ("text", "github"):
        got, out, err = run_inprocess("check", path, "-f", fmt)
        assert got == 1
        assert "\x1b" not in out.split("\n", 1)[-1]  # the plain-text part (github's commands come first)
        assert not any(line.startswith(("forged.yaml", "::error file=forged")) for line in out.splitlines())
        assert sum(line.startswith("::error") for line in out.splitlines()) == (1 if fmt == "github" else 0)


def test_misspelt_input_is_both_unknown_and_missing():
    """`inputs:`, `Input:`, `inpt:` for `input:`: NS101 with the hint at the key and NS102 at the top
    (issue 12, item 9; this crashed with KeyError before)."""
    from netspec.pipeline import check_text

    text = (HOSTILE / "input_misspelt_inputs.yaml").read_text()
    for typo in ("inputs", "Input", "inpt"):
        result = check_text(text.replace("inputs:", f"{typo}:"), "misspelt.yaml")
        found = [(d.code, d.line, d.column) for d in result.diagnostics]
        assert found == [("NS102", 1, 1), ("NS101", 3, 1)], (typo, found)
        assert "missing `input`" in result.diagnostics[0].message
        assert "did you mean `input`?" in result.diagnostics[1].message


def test_unknown_code_in_lint_ignore_is_a_located_warning(tmp_path):
    spec = tmp_path / "lint.yaml"
    spec.write_text("netspec: 1\nname: x\ninput: {channels: 3}\nlint: {ignore: [NS401, NS999]}\n"
                    "layers:\n  - {type: dense, units: 4}\n")
    got, out, err = run_inprocess("check", str(spec))
    assert_clean_failure(out, err)
    # "lint: {ignore: [NS401, " is 23 characters
    assert got == 0 and f"{spec}:4:24: warning[NS406] `lint: ignore` names 'NS999'" in out
    assert run_inprocess("check", str(spec), "--strict")[0] == 1


def test_yaml_11_line_breaks_would_hide_a_layer():
    """The oracle: PyYAML itself (YAML 1.1) reads the text after U+2028 / NEL as YAML, which is why
    netspec refuses these characters rather than let a commented-out line become live."""
    import yaml

    hidden = yaml.safe_load((HOSTILE / "line_separator_in_comment.yaml").read_text(encoding="utf-8"))
    assert [layer["type"] for layer in hidden["layers"]] == ["relu", "conv"]
    budget = yaml.safe_load((HOSTILE / "next_line_in_comment.yaml").read_text(encoding="utf-8"))
    assert budget["budget"] == {"maccs": "1T"}


def test_every_layer_dropped_reports_the_input():
    """32 x 32 x 3 float32 = 12,288 bytes live from start to end: the peak, at `input`."""
    import json

    path = str(HOSTILE / "when_false_every_layer.yaml")
    for fmt in ("text", "json", "markdown", "csv", "github", "sarif"):
        got, out, err = run_inprocess("check", path, "--layers", "-f", fmt)
        assert got == 0 and "None" not in out, (fmt, out)
    got, out, _ = run_inprocess("check", path, "--layers")
    assert "peak activation memory 12.0 KiB at input;" in out and "0 layers, output 32x32x3" in out
    totals = json.loads(run_inprocess("check", path, "-f", "json")[1])["files"][0]["network"]["totals"]
    assert None not in totals.values()
    assert (totals["peak_activation_memory"], totals["peak_layer"], totals["layers"]) == (12288, "input", 0)


# --- cases that cannot live in git ----------------------------------------------------------------------


def test_missing_file():
    path = str(HOSTILE / "no-such-spec.yaml")
    got, out, err = run_inprocess("check", path)
    assert_clean_failure(out, err)
    assert got == 2 and has_diagnostic(out, path, "NS001", 1, 1)


def test_symlink_loop(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(tmp_path / "other.yaml")
    (tmp_path / "other.yaml").symlink_to(loop)
    got, out, err = run_inprocess("check", str(loop))
    assert_clean_failure(out, err)
    assert got == 2 and has_diagnostic(out, str(loop), "NS001", 1, 1)


def test_directory_given_as_a_file(tmp_path):
    empty = tmp_path / "spec.yaml"  # a directory with a spec's name, holding no spec
    empty.mkdir()
    got, out, err = run_inprocess("check", str(empty))
    assert_clean_failure(out, err)
    assert got == 2 and "no spec files" in err
    # a directory that does hold specs means those specs, hostile ones included
    (empty / "bad.yaml").write_bytes((HOSTILE / "nul_byte.yaml").read_bytes())
    got, out, err = run_inprocess("check", str(empty))
    assert got == 1 and has_diagnostic(out, str(empty / "bad.yaml"), "NS007", 2, 8)


def test_over_the_file_size_limit(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:  # sparse: 10 MiB + 1 byte that are never read
        fh.truncate(10 * 1024 * 1024 + 1)
    got, out, err = run_inprocess("check", str(big))
    assert_clean_failure(out, err)
    assert got == 1 and has_diagnostic(out, str(big), "NS010", 1, 1) and "--max-file-size" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # nobody ever writes: reading it would block forever
    got, out, err = run_subprocess("check", str(fifo), timeout=60)
    assert_clean_failure(out, err)
    assert got == 2 and has_diagnostic(out, str(fifo), "NS001", 1, 1)


def test_file_without_read_permission():
    """As root, the check runs in a subprocess that drops to `nobody` once netspec is imported."""
    workdir = tempfile.mkdtemp(prefix="netspec-perm-")
    try:
        os.chmod(workdir, 0o755)
        secret = Path(workdir) / "secret.yaml"
        secret.write_bytes((HOSTILE / "valid_small.yaml").read_bytes())
        os.chmod(secret, 0)
        if os.geteuid() != 0:
            got, out, err = run_inprocess("check", str(secret))
        else:
            script = textwrap.dedent("""
                import os, sys
                from netspec.cli import main

                def run(args):
                    try:
                        main(args)
                    except SystemExit as exc:
                        return exc.code
                    return 0

                run(["check", sys.argv[1]])  # imports everything while still root
                os.setgid(65534)
                os.setuid(65534)
                assert os.geteuid() == 65534
                print("---dropped---")
                sys.exit(run(["check", sys.argv[2]]))
            """)
            proc = subprocess.run([sys.executable, "-c", script, str(HOSTILE / "valid_small.yaml"), str(secret)],
                                  cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert "---dropped---" in proc.stdout, proc.stderr
            got, out, err = proc.returncode, proc.stdout.split("---dropped---", 1)[1], proc.stderr
        assert_clean_failure(out, err)
        assert got == 2 and has_diagnostic(out, str(secret), "NS001", 1, 1) and "permission denied" in out
    finally:
        secret = Path(workdir) / "secret.yaml"
        if secret.exists():
            os.chmod(secret, stat.S_IRUSR | stat.S_IWUSR)
            secret.unlink()
        os.rmdir(workdir)


# --- billion laughs, under a memory and a CPU limit ---------------------------------------------------------


def test_billion_laughs_is_refused_cheaply():
    """542 bytes, 9 levels of 10 aliases: ~1.1e9 nodes once expanded. Refused under 100 MiB of
    address space and 1 s of CPU (a violation kills the process: SIGXCPU, or MemoryError)."""
    lol = HOSTILE / "billion_laughs.yaml"
    assert lol.stat().st_size < 1024
    # Hand count: root 1 + `netspec: 1` 2 = 3; a0 adds 12 (15), a1 112 (127), a2 1,112 (1,239),
    # a3 11,112 (12,351), a4 111,112 (123,463); a5 (line 7) adds its key and list (123,465), then
    # 111,111 per *a4: the 8th alias passes 1,000,000, at column 10 + 7 * 5 = 45.
    limits = {resource.RLIMIT_AS: (100 * 2**20, 100 * 2**20), resource.RLIMIT_CPU: (1, 2)}
    got, out, err = run_subprocess("check", str(lol), limits=limits, timeout=60)
    assert got != -signal.SIGXCPU, "over 1 s of CPU"
    assert_clean_failure(out, err)
    assert "MemoryError" not in err
    assert got == 1 and has_diagnostic(out, str(lol), "NS011", 7, 45)
    assert "--max-yaml-nodes" in out


# --- every limit names its flag, and the flag raises it ---------------------------------------------------------


def _spec(tmp_path, name: str, layers: str, head: str = "") -> str:
    p = tmp_path / name
    p.write_text("netspec: 1\nname: lim\ninput: {height: 32, width: 32, channels: 3}\n" + head
                 + "layers:\n" + layers, encoding="utf-8")
    return str(p)


@pytest.mark.parametrize("flag,low,high,code,line,col", [
    # valid_small is 173 bytes
    ("--max-file-size", "100", "1KiB", "NS010", 1, 1),
    # node 11 is the `32` of width: root, netspec k/v, name k/v, input, its mapping, height k/v, width k/v
    ("--max-yaml-nodes", "10", "1000", "NS011", 3, 28),
    # root (1) and the layers list (2) fit; the first layer's mapping would be depth 3
    ("--max-depth", "2", "3", "NS012", 5, 5),
    # the third layer (dense, line 7) would be the third: its type after "  - {type: "
    ("--max-layers", "2", "3", "NS212", 7, 12),
])
def test_limit_flags(flag, low, high, code, line, col):
    path = str(HOSTILE / "valid_small.yaml")
    got, out, err = run_inprocess("check", path, flag, low)
    assert got == 1 and has_diagnostic(out, path, code, line, col) and flag in out
    got, out, err = run_inprocess("check", path, flag, high)
    assert got == 0, out


def test_repeat_and_call_depth_flags(tmp_path):
    path = _spec(tmp_path, "rep.yaml", "  - {type: relu, repeat: 20}\n")
    got, out, _ = run_inprocess("check", path, "--max-repeat", "10")
    assert got == 1 and has_diagnostic(out, path, "NS213", 5, 26) and "--max-repeat" in out
    assert run_inprocess("check", path, "--max-repeat", "20")[0] == 0
    deep = str(HOSTILE / "block_call_depth_41.yaml")
    got, out, _ = run_inprocess("check", deep)
    assert got == 1 and "--max-call-depth" in out
    assert run_inprocess("check", deep, "--max-call-depth", "41")[0] == 0


# --- bad values in every numeric field ------------------------------------------------------------------------------

# field -> (kind, layer template with {v}); the value is always last, so its column is found in the text.
FIELDS = {
    "filters": ("int", "{{type: conv, kernel: 3, filters: {v}}}"),
    "units": ("int", "{{type: dense, units: {v}}}"),
    "repeat": ("int", "{{type: relu, repeat: {v}}}"),
    "groups": ("int", "{{type: conv, filters: 3, kernel: 3, groups: {v}}}"),
    "multiplier": ("int", "{{type: depthwise, kernel: 3, multiplier: {v}}}"),
    "kernel": ("size2", "{{type: conv, filters: 8, kernel: {v}}}"),
    "stride": ("size2", "{{type: conv, filters: 8, kernel: 3, stride: {v}}}"),
    "dilation": ("size2", "{{type: conv, filters: 8, kernel: 3, dilation: {v}}}"),
    "pool_kernel": ("size2", "{{type: maxpool, kernel: {v}}}"),
    "output_padding": ("pair0", "{{type: deconv, filters: 8, kernel: 3, stride: 2, output_padding: {v}}}"),
    "padding": ("padding", "{{type: conv, filters: 8, kernel: 3, padding: {v}}}"),
    "scale": ("scale", "{{type: upsample, scale: {v}}}"),
    "rate": ("rate", "{{type: dropout, rate: {v}}}"),
    # not layers: the input's dimensions and the batch
    "height": ("int", None),
    "channels": ("int", None),
    "batch": ("int", None),
}

# value -> expected code per kind (a kind missing from the dict: the value is fine there).
# NS103 wrong type / NS104 invalid literal (schema); NS201 bad expression; NS211 an expression's
# value the field does not take; NS215 past 2**63 - 1.
ALL = ("int", "size2", "pair0", "padding", "scale", "rate")
EXPR_ERROR = dict.fromkeys(ALL, "NS201")
VALUES = {
    '"abc"': {**dict.fromkeys(ALL, "NS103"), "padding": "NS104"},        # padding: strings are same/valid
    "[1, 2, 3]": {"int": "NS103", "size2": "NS104", "pair0": "NS104", "padding": "NS104", "scale": "NS104",
                  "rate": "NS103"},                                     # lists of 3 are too long for pairs (scale: [sh, sw])
    "{a: 1}": dict.fromkeys(ALL, "NS103"),
    "true": dict.fromkeys(ALL, "NS103"),
    "null": dict.fromkeys(ALL, "NS103"),
    ".nan": {**dict.fromkeys(("int", "size2", "pair0", "padding"), "NS103"), "scale": "NS104", "rate": "NS104"},
    ".inf": {**dict.fromkeys(("int", "size2", "pair0", "padding"), "NS103"), "scale": "NS104", "rate": "NS104"},
    "-3": dict.fromkeys(ALL, "NS104"),
    "0": {"int": "NS104", "size2": "NS104", "scale": "NS104"},          # 0 padding / 0 rate are fine
    "31.5": {**dict.fromkeys(("int", "size2", "pair0", "padding"), "NS103"), "rate": "NS104"},
    "9223372036854775808": {**dict.fromkeys(("int", "size2", "pair0", "padding"), "NS215"), "rate": "NS104"},
    "9" * 5000: {**dict.fromkeys(("int", "size2", "pair0", "padding"), "NS215"), "rate": "NS104"},
    '"${nope}"': EXPR_ERROR,
    '"${nope(1)}"': EXPR_ERROR,
    '"${().__class__}"': EXPR_ERROR,
    '"${(lambda: 1)()}"': EXPR_ERROR,
    '"${[x for x in (1, 2)]}"': EXPR_ERROR,
    '"${f\'{1}\'}"': EXPR_ERROR,
    '"${2**2**40}"': EXPR_ERROR,
    "'${\"9\"*10**6}'": EXPR_ERROR,
    '"${1/0}"': EXPR_ERROR,
    '"${2**63}"': EXPR_ERROR,
    '"${31.5}"': {**dict.fromkeys(("int", "size2", "pair0", "padding"), "NS211"), "rate": "NS211"},
    '"${-1}"': dict.fromkeys(ALL, "NS211"),
}

VALUE_CASES = [(f, v) for f in FIELDS for v in VALUES if FIELDS[f][0] in VALUES[v]]


@pytest.mark.parametrize("field,value", VALUE_CASES, ids=[f"{f}={v[:20]}" for f, v in VALUE_CASES])
def test_bad_value(tmp_path, field, value):
    kind, template = FIELDS[field]
    dims = {"height": "32", "width": "32", "channels": "8"}
    batch = ""
    if template is None:
        layer = "{type: relu}"
        if field == "batch":
            batch = f"batch: {value}\n"
        else:
            dims[field] = value
    else:
        layer = template.format(v=value)
    text = ("netspec: 1\nname: bad\ninput: {height: %s, width: %s, channels: %s}\n" % (
        dims["height"], dims["width"], dims["channels"]) + batch + "layers:\n  - " + layer + "\n")
    lines = text.splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if value in ln and (field != "batch" or ln.startswith("batch")))
    col = lines[line - 1].index(value) + 1
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    got, out, err = run_inprocess("check", str(path))
    assert_clean_failure(out, err)
    code = VALUES[value][kind]
    assert got == 1 and has_diagnostic(out, str(path), code, line, col), out[:1500]


def test_a_key_misspelt_into_the_missing_input(tmp_path):
    """`name:` and `input:` merged into `namput:` (a fuzzer's find): the unknown key with its hint, and
    the spec's missing header keys (issue 12: a misspelt `input:` is NS101 + NS102); expansion must
    then stop quietly instead of reading the absent input (it crashed with KeyError: 'input')."""
    spec = tmp_path / "namput.yaml"
    spec.write_text("netspec: 1\nnamput: {channels: 100}\nlayers:\n  - {type: dense, units: 4}\n", encoding="utf-8")
    got, out, err = run_inprocess("check", str(spec))
    assert_clean_failure(out, err)
    # `namput` starts line 2, column 1
    assert got == 1 and has_diagnostic(out, str(spec), "NS101", 2, 1)
    assert "did you mean `input`" in out and out.count("error[NS") == 3
    assert has_diagnostic(out, str(spec), "NS102", 1, 1) and "missing `input`" in out and "missing `name`" in out
