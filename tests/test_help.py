"""`--help` (issue 13, item 10), rendered by typer at 80 columns as a user's terminal shows it: flags
show no metavar, every option has a help line, nothing is cut. typer is pinned to the range this
test passed on (pyproject.toml); a typer that renders differently fails here first."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from netspec.fastcli import CHECK_OPTIONS

FLAGS = {"--layers", "--quiet", "--strict", "--no-strict", "--exit-zero", "--no-config", "--debug", "--help"}


def _help(*args: str) -> str:
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb"}
    proc = subprocess.run([sys.executable, "-m", "netspec", *args, "--help"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _options(text: str) -> dict[str, str]:
    """option line -> its help text (which may start on the next line)."""
    body = text.split("\nOptions:\n", 1)[1].split("\n\n")[0].splitlines()
    out, current = {}, None
    for line in body:
        m = re.match(r"^  (-\S.*?)(?:\s{2,}(.*))?$", line)
        if m:
            current = m.group(1)
            out[current] = m.group(2) or ""
        elif current is not None:
            out[current] += " " + line.strip()
    return out


@pytest.mark.parametrize("command", [(), ("check",), ("diff",), ("explain",), ("export",), ("import",), ("schema",),
                                     ("devices",), ("calibrate",)])
def test_nothing_is_cut_at_80_columns(command):
    text = _help(*command)
    for line in text.splitlines():
        assert len(line) <= 80, line
        assert not line.rstrip().endswith(("…", "...")) or line.strip().startswith(("[CODE]...", "Usage:")), line


@pytest.mark.parametrize("command", ["check", "diff"])
def test_every_option_has_help_and_flags_have_no_metavar(command):
    options = _options(_help(command))
    for decl, help_text in options.items():
        assert help_text.strip(), f"{command} {decl} has no help line"
        names = [p.strip() for p in re.split(r",| / ", decl)]
        if any(n in FLAGS for n in names):
            assert all(re.fullmatch(r"--?[\w-]+", n) for n in names), f"a flag shows a metavar: {decl!r}"
            assert "<bool>" not in decl


def test_check_help_names_every_option_in_full():
    text = _help("check")
    options = _options(text)
    shown = {n.split()[0] for decl in options for n in re.split(r", | / ", decl)}
    for _, _, _, flags in CHECK_OPTIONS:
        for flag in (f for decl in flags for f in decl.split("/")):
            assert flag in shown, flag
    assert "-l, --layers                    Show the per-layer table." in text
    assert "--max-peak-memory, --max-peak-activation-memory BYTES" in text


def test_root_help_lists_every_command_uncut():
    text = _help()
    commands = dict(re.findall(r"^  (\w+)\s{2,}(.+)$", text.split("Commands:\n", 1)[1], flags=re.M))
    assert set(commands) == {"check", "sweep", "diff", "schema", "explain", "export", "import", "devices", "calibrate"}
    assert all(c.endswith(".") for c in commands.values()), commands
