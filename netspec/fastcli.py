"""`netspec check` (and `netspec sweep`) without typer, for the pre-commit hook's common call.

Importing typer (with click) and running a typer (>= 0.17) command, which builds a pydantic
TypeAdapter per parameter, cost more than the whole check of a typical spec. So for simple
command lines we parse the arguments ourselves, from `CHECK_OPTIONS` below (the declarations of
`commands.check`, transcribed; tests/test_fastcli.py reads typer's own declarations and fails if
the two ever differ), and call `checking.run_check` as `commands.check` does: same options,
defaults, messages and exit codes. `netspec sweep` is parsed the same way from `SWEEP_OPTIONS`
and runs `sweep.sweep_command`, as `commands.sweep` does: typer's set-up was the largest part of
a sweep's start-up, which -j N workers cannot share.

Anything this parser does not handle exactly - `--help`, an unknown option, a missing value, an
option value that is not a plain decimal int, combined short flags - makes `try_check` return
None and the caller falls back to the typer app, which then gives its usual answer (or error
message). So this is only ever a shortcut, never a second CLI.
"""

from __future__ import annotations

_HELP = frozenset({"-h", "--help"})

# commands.check's options: (parameter, kind, default, option strings). The positional `files`
# (a list of str) is the only argument. A boolean declared "--x/--no-x" sets True or False.
CHECK_OPTIONS = (
    ("output_format", "str", "text", ("--output-format", "-f")),
    ("layers", "bool", False, ("--layers", "-l")),
    ("depth", "int", None, ("--depth",)),
    ("quiet", "bool", False, ("--quiet", "-q")),
    ("set_", "list", [], ("--set", "-s")),
    ("budget_file", "str", None, ("--budget-file",)),
    ("max_params", "str", None, ("--max-params",)),
    ("max_maccs", "str", None, ("--max-maccs",)),
    ("max_flops", "str", None, ("--max-flops",)),
    ("max_memory_accesses", "str", None, ("--max-memory-accesses",)),
    ("max_compulsory_bytes", "str", None, ("--max-compulsory-bytes",)),
    ("max_weight_bytes", "str", None, ("--max-weight-bytes",)),
    ("max_peak_memory", "str", None, ("--max-peak-memory", "--max-peak-activation-memory")),
    ("max_kv_cache", "str", None, ("--max-kv-cache",)),
    ("max_latency", "str", None, ("--max-latency",)),
    ("device", "str", None, ("--device",)),
    ("device_file", "str", None, ("--device-file",)),
    ("strict", "bool", None, ("--strict/--no-strict",)),
    ("ignore", "list", [], ("--ignore",)),
    ("output_file", "str", None, ("--output-file", "-o")),
    ("exit_zero", "bool", False, ("--exit-zero",)),
    ("max_file_size", "str", None, ("--max-file-size",)),
    ("max_layers", "int", None, ("--max-layers",)),
    ("max_yaml_nodes", "int", None, ("--max-yaml-nodes",)),
    ("max_depth", "int", None, ("--max-depth",)),
    ("max_repeat", "int", None, ("--max-repeat",)),
    ("max_call_depth", "int", None, ("--max-call-depth",)),
    ("config", "str", None, ("--config",)),
    ("no_config", "bool", False, ("--no-config",)),
    ("debug", "bool", False, ("--debug",)),
)
_LIMITS = CHECK_OPTIONS[6:15]  # --max-params ... --max-latency, the same in both commands
assert [o[0] for o in _LIMITS] == ["max_params", "max_maccs", "max_flops", "max_memory_accesses",
                                   "max_compulsory_bytes", "max_weight_bytes", "max_peak_memory", "max_kv_cache",
                                   "max_latency"]

# commands.sweep's options, the same way; its one argument is `spec` (a str).
SWEEP_OPTIONS = (
    ("set_", "list", [], ("--set", "-s")),
    ("random", "int", None, ("--random",)),
    ("seed", "int", None, ("--seed",)),
    ("pareto", "str", None, ("--pareto",)),
    ("size", "str", "params", ("--size",)),
    ("best", "bool", False, ("--best",)),
    ("output_format", "str", "text", ("--output-format", "-f")),
    ("output_file", "str", None, ("--output-file", "-o")),
    ("jobs", "int", 1, ("--jobs", "-j")),
    ("scheduler", "str", None, ("--scheduler",)),
    ("budget_file", "str", None, ("--budget-file",)),
    *_LIMITS,
    ("device", "str", None, ("--device",)),
    ("device_file", "str", None, ("--device-file",)),
    ("max_layers", "int", None, ("--max-layers",)),
    ("config", "str", None, ("--config",)),
    ("no_config", "bool", False, ("--no-config",)),
    ("debug", "bool", False, ("--debug",)),
)


def _flags(table) -> dict:
    """flag -> (parameter, kind, value a bool flag sets); "--x/--no-x" declares both."""
    out = {}
    for name, kind, _, decls in table:
        for decl in decls:
            on, _, off = decl.partition("/")
            out[on] = (name, kind, True)
            if off:
                out[off] = (name, kind, False)
    return out


_OPTIONS = _flags(CHECK_OPTIONS)
_SWEEP = _flags(SWEEP_OPTIONS)


def _int(text: str) -> int | None:
    """Plain decimal digits only; anything fancier (1_000, 1e3, 5.0) is left to typer's conversion."""
    t = text.strip()
    body = t[1:] if t[:1] in "+-" else t
    return int(t) if body.isascii() and body.isdigit() else None


def parse(args: list[str], table=CHECK_OPTIONS, flags=None) -> dict | None:
    """The keyword arguments typer would pass to `commands.check` (or the command `table` declares)
    for `args`, the positional arguments as `files`; or None to let typer decide."""
    flags = _OPTIONS if flags is None else flags
    values: dict = {}
    files: list[str] = []
    i = 0
    n = len(args)
    while i < n:
        tok = args[i]
        i += 1
        if tok == "--":
            files.extend(args[i:])
            break
        if tok in _HELP:
            return None
        if not tok.startswith("-") or tok == "-":
            files.append(tok)
            continue
        flag, eq, attached = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        option = flags.get(flag)
        if option is None:
            return None  # unknown option, combined short flags (-lq), -fjson, ...: typer's business
        name, kind, flag_value = option
        if kind == "bool":
            if eq:
                return None
            values[name] = flag_value
            continue
        if eq:
            value = attached
        elif i < n:
            value = args[i]
            i += 1
        else:
            return None  # a missing value: typer says so
        if kind == "int":
            value = _int(value)
            if value is None:
                return None
        if kind == "list":
            values.setdefault(name, []).append(value)
        else:
            values[name] = value
    if not files:
        return None  # typer reports the missing argument
    out = {"files": files}
    for name, kind, default, _ in table:
        out[name] = values[name] if name in values else (list(default) if kind == "list" else default)
    return out


def try_check(args: list[str]) -> int | None:
    """Run `netspec check ...` (args without the word `check`) and return its exit code, or None
    when typer has to handle this command line."""
    kwargs = parse(args)
    if kwargs is None:
        return None
    import gc

    from .checking import run_check

    # The collector would only re-walk the check's (acyclic) objects: once per allocation burst
    # while checking, and in full once more while the report is written (~0.1 s per 10,000 layers).
    # Restored afterwards, when the results are freed, for callers of main() in a longer process.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return run_check(**kwargs)
    finally:
        if enabled:
            gc.enable()


def try_sweep(args: list[str]) -> int | None:
    """Run `netspec sweep ...` (args without the word `sweep`) and return its exit code, or None when
    typer has to handle this command line. The typer path's set-up costs about 0.3 s of CPU, which
    every sweep pays before its first point: with -j 2 it is the serial part that kept the sweep
    from scaling."""
    kwargs = parse(args, SWEEP_OPTIONS, _SWEEP)
    if kwargs is None or len(kwargs["files"]) != 1:
        return None
    from .sweep import sweep_command

    return sweep_command(kwargs.pop("files")[0], **kwargs)
