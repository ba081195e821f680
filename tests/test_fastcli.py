"""`netspec check` through netspec.fastcli must behave exactly as through the typer app: the same
stdout, stderr, exit code and output file for every command line it accepts, and it must hand
every command line it is not sure about back to typer."""

from __future__ import annotations

import pytest

from netspec import cli, commands, fastcli

GOOD = """\
netspec: 1
name: good
input: {height: 16, width: 16, channels: 3}
params: {width: 1.0}
layers:
  - {name: c1, type: conv, filters: "${int(16 * width)}", kernel: 3, batchnorm: true, activation: relu}
  - {type: depthwise, kernel: 3, stride: 2}
  - {type: conv, filters: 12, kernel: 1}
  - {type: global_avgpool}
  - {type: dense, units: 10}
"""
BAD = GOOD.replace("kernel: 1}", "kernel: 1, filterz: 3}")


@pytest.fixture
def files(tmp_path):
    (tmp_path / "d").mkdir()
    good = tmp_path / "d" / "good.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    return {"good": str(good), "bad": str(bad), "dir": str(tmp_path / "d"), "tmp": tmp_path}


def _run(args, capsys, fast: bool, monkeypatch):
    if not fast:
        monkeypatch.setattr(fastcli, "try_check", lambda args: None)
        monkeypatch.setattr(fastcli, "try_sweep", lambda args: None)
    try:
        cli.main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    monkeypatch.undo()
    return code, out, err


CASES = [
    ["{good}"],
    ["{good}", "-f", "json"],
    ["-f", "json", "{good}", "{bad}"],
    ["--output-format=markdown", "{good}"],
    ["{good}", "-f", "csv", "--layers"],
    ["{good}", "-l"],
    ["{good}", "-q"],
    ["{bad}", "-q"],
    ["{good}", "--set", "width=2"],
    ["{good}", "-s", "width=0.5", "-s", "width=2"],
    ["{good}", "--set", "depth=2"],
    ["{good}", "--set", "novalue"],
    ["{good}", "--ignore", "NS401"],
    ["{good}", "--ignore", "XX999"],
    ["{good}", "--ignore", "NS401,NS404", "--strict"],
    ["{good}", "--max-layers", "2"],
    ["{good}", "--max-layers=0"],
    ["{good}", "--max-params", "1K"],
    ["{good}", "--max-peak-activation-memory", "1KiB"],
    ["{good}", "--max-maccs", "lots"],
    ["{bad}", "--exit-zero"],
    ["{good}", "--strict"],
    ["{good}", "--strict", "--no-strict"],
    ["{good}", "--no-config", "--strict"],
    ["{good}", "--config", "{tmp}/missing.toml"],
    ["{good}", "-f", "sarif"],
    ["{good}", "--device", "a100", "-l"],
    ["{good}", "--device=rpi5", "-f", "json", "--max-latency", "1ms"],
    ["{good}", "--max-latency", "1ms"],
    ["{good}", "--device", "nosuch"],
    ["{good}", "--device-file", "{tmp}/missing.yaml"],
    ["{good}", "-f", "github"],
    ["{good}", "-f", "nope"],
    ["--", "{good}"],
    ["{dir}"],
    ["{good}", "{good}", "--debug"],
    ["{tmp}/missing.yaml"],
]


@pytest.mark.parametrize("case", CASES, ids=[" ".join(c) for c in CASES])
def test_same_as_typer(case, files, capsys, monkeypatch):
    args = ["check"] + [a.format(**files) for a in case]
    assert fastcli.parse(args[1:]) is not None, "the fast path should take this one"
    fast = _run(args, capsys, True, monkeypatch)
    slow = _run(args, capsys, False, monkeypatch)
    assert fast == slow


def test_output_file_is_the_same(files, capsys, monkeypatch):
    a, b = files["tmp"] / "a.json", files["tmp"] / "b.json"
    fast = _run(["check", files["good"], "-f", "json", "-o", str(a)], capsys, True, monkeypatch)
    slow = _run(["check", files["good"], "-f", "json", "--output-file", str(b)], capsys, False, monkeypatch)
    assert fast == slow
    assert a.read_text() == b.read_text()


FALLBACK = [
    [],
    ["--help"],
    ["{good}", "-h"],
    ["{good}", "-lq"],
    ["{good}", "-fjson"],
    ["{good}", "--max-layers", "1e3"],
    ["{good}", "--max-layers", "1_000"],
    ["{good}", "--max-layers"],
    ["{good}", "--no-such-option"],
    ["{good}", "--layers=yes"],
]


@pytest.mark.parametrize("case", FALLBACK, ids=[" ".join(c) or "(none)" for c in FALLBACK])
def test_hands_the_unusual_to_typer(case, files, capsys, monkeypatch):
    args = [a.format(**files) for a in case]
    assert fastcli.parse(args) is None
    code, out, err = _run(["check", *args], capsys, True, monkeypatch)
    assert (code, out, err) == _run(["check", *args], capsys, False, monkeypatch)


def typer_declarations(func):
    """(parameter, kind, default, option strings) of every option of `func`, read by typer itself,
    and the name of its one argument: what fastcli.CHECK_OPTIONS must transcribe."""
    import typing

    from typer.models import ArgumentInfo, OptionInfo
    from typer.utils import get_params_from_function

    def kind(hint):
        if hint in (bool, str, int):
            return hint.__name__
        args = typing.get_args(hint)
        if typing.get_origin(hint) is list and args == (str,):
            return "list"
        assert typing.get_origin(hint) is typing.Union and type(None) in args, hint
        return next(a for a in args if a is not type(None)).__name__

    options, arguments = [], []
    for meta in get_params_from_function(func).values():
        info = meta.default
        assert isinstance(info, (OptionInfo, ArgumentInfo))
        # Declarations the fast parser does not implement must not appear.
        assert info.callback is None and not info.is_eager and info.envvar is None and info.parser is None
        assert not getattr(info, "prompt", None) and not getattr(info, "count", False)
        if isinstance(info, ArgumentInfo):
            arguments.append((meta.name, kind(meta.annotation), info.default))
            continue
        flags = tuple(info.param_decls or ()) or ("--" + meta.name.replace("_", "-"),)
        assert all(f.count("/") <= 1 for f in flags), "fastcli.parse knows one --x/--no-x pair per declaration"
        options.append((meta.name, kind(meta.annotation), info.default, flags))
    return options, arguments


def test_option_table_is_exactly_what_typer_declares():
    options, arguments = typer_declarations(commands.check)
    assert arguments == [("files", "list", ...)]
    assert list(fastcli.CHECK_OPTIONS) == options


def test_parse_values():
    kw = fastcli.parse(["a.yaml", "-f", "json", "--set", "w=1", "-s", "x=2", "--max-layers=5",
                                        "-l", "--", "-weird.yaml"])
    assert kw["files"] == ["a.yaml", "-weird.yaml"]
    assert kw["output_format"] == "json" and kw["layers"] is True and kw["quiet"] is False
    assert kw["set_"] == ["w=1", "x=2"] and kw["max_layers"] == 5 and kw["ignore"] == []


SWEEP_CASES = [
    ["{good}", "--set", "width=0.5,1,2"],
    ["{good}", "-s", "width=0.5:1.5:0.5", "-f", "csv"],
    ["{good}", "--set", "width=0.5,1,2", "-f", "json", "--max-params", "2K", "--best"],
    ["{good}", "--set=width=0.5,1,2", "--pareto", "maccs,params", "--size", "width", "-f", "markdown"],
    ["{good}", "--set", "width=0.5:3:0.25", "--random", "3", "--seed", "7"],
    ["{good}", "--set", "width=0.5,1", "--device", "a100", "--max-latency", "1ms"],
    ["{good}", "--set", "width=1"],
    ["{good}", "--set", "depth=1,2"],
    ["{good}", "--set", "width=0.5,1", "-f", "nope"],
    ["{good}", "--set", "width=0.5,1", "-j", "0"],
    ["{bad}", "--set", "width=0.5,1"],
    ["{tmp}/missing.yaml", "--set", "width=0.5,1"],
]


@pytest.mark.parametrize("case", SWEEP_CASES, ids=[" ".join(c) for c in SWEEP_CASES])
def test_sweep_same_as_typer(case, files, capsys, monkeypatch):
    args = ["sweep"] + [a.format(**files) for a in case]
    assert fastcli.parse(args[1:], fastcli.SWEEP_OPTIONS, fastcli._SWEEP) is not None
    fast = _run(args, capsys, True, monkeypatch)
    slow = _run(args, capsys, False, monkeypatch)
    assert fast == slow


@pytest.mark.parametrize("case", [["{good}", "{bad}", "--set", "width=1,2"], ["{good}", "--help"], [],
                                  ["{good}", "--set", "width=1,2", "--jobs", "two"]])
def test_sweep_hands_the_unusual_to_typer(case, files, capsys, monkeypatch):
    args = [a.format(**files) for a in case]
    assert fastcli.try_sweep(args) is None
    code, out, err = _run(["sweep", *args], capsys, True, monkeypatch)
    assert (code, out, err) == _run(["sweep", *args], capsys, False, monkeypatch)


def test_sweep_option_table_is_exactly_what_typer_declares():
    options, arguments = typer_declarations(commands.sweep)
    assert arguments == [("spec", "str", ...)]
    assert list(fastcli.SWEEP_OPTIONS) == options
