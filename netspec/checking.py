"""The work behind `netspec check`, and the option handling other commands share, without typer.

The typer app (commands.py) declares the options and their help; the pre-commit hook's fast path
(fastcli.py) parses the same command line without importing typer. Both call `run_check`, which
returns the exit status; a usage error is printed where it is found and raised as UsageError.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Optional

from .usage import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError, usage_error, usage_warning

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "UsageError", "usage_error", "usage_warning", "run_check"]


def parse_set(items: list[str]) -> dict:
    """`--set width=1.4` -> {"width": 1.4}; `--set depths=[2,2,2,2]` -> a list. Values are typed as
    int, float, bool, else kept as text; a value in brackets is a list of such values."""
    out = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise usage_error(f"--set takes name=value, got {item!r}")
        raw = raw.strip()
        if raw.startswith("[") and raw.endswith("]"):
            inner = raw[1:-1].strip()
            out[name] = [typed_value(v) for v in inner.split(",")] if inner else []
        else:
            out[name] = typed_value(raw)
    return out


def typed_value(raw: str):
    """A --set value as typed text: `true`/`false` a bool, then an int, a float, else the text."""
    raw = raw.strip()
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            return raw


def expand_paths(paths: list[str], config=None) -> tuple[list[str], dict[str, str]]:
    """Files as given; a directory means every *.yaml / *.yml below it, in sorted order, without
    hidden directories, virtualenvs and what the configuration excludes.

    Every such name that is not a directory is kept, whatever it is (a dangling symlink, a FIFO, a
    link to /dev/zero): reading it then reports NS001, so a scan never skips a spec and says
    "clean". Returns the paths, and {directory: reason} for directories that could not be listed.
    A directory without specs is a warning.
    """
    out: list[str] = []
    unlisted: dict[str, str] = {}
    for p in paths:
        if not os.path.isdir(p):
            out.append(p)
            continue
        from .config import Config, scan

        def unreadable(exc: OSError) -> None:
            where = exc.filename if isinstance(exc.filename, str) else p
            unlisted[where] = f"cannot list the directory {where}: {exc.strerror or exc}"

        found = scan(p, config or Config(), onerror=unreadable)
        if not found and p not in unlisted:
            usage_warning(f"{p}: no *.yaml or *.yml files in this directory")
        out += found
        out += sorted(d for d in unlisted if d not in out)
    return out, unlisted


def read_config(config_file: Optional[str], no_config: bool):
    """The configuration in force: --config FILE, else the one found from here up, else defaults."""
    from .config import Config, ConfigError, find, load

    if no_config:
        return Config()
    path = config_file if config_file is not None else find()
    if path is None:
        return Config()
    try:
        return load(path)
    except ConfigError as exc:
        raise usage_error(str(exc)) from None


def use_color(output_file: Optional[str]) -> bool:
    """Colour on a terminal; a non-empty NO_COLOR turns it off (no-color.org), a non-empty
    FORCE_COLOR turns it on for pipes and CI logs (force-color.org). Never in an --output-file."""
    if output_file is not None or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


def write_output(text, output_file: Optional[str]) -> None:
    from .outfile import write_output as write

    write(text, output_file)


def run_check(files: list[str], output_format: str = "text", layers: bool = False,
              depth: Optional[int] = None, quiet: bool = False,
              set_: Sequence[str] = (), budget_file: Optional[str] = None, max_params: Optional[str] = None,
              max_maccs: Optional[str] = None, max_flops: Optional[str] = None,
              max_memory_accesses: Optional[str] = None, max_compulsory_bytes: Optional[str] = None,
              max_weight_bytes: Optional[str] = None, max_peak_memory: Optional[str] = None,
              max_kv_cache: Optional[str] = None, max_latency: Optional[str] = None, device: Optional[str] = None,
              device_file: Optional[str] = None,
              strict: Optional[bool] = None, ignore: Sequence[str] = (), output_file: Optional[str] = None,
              exit_zero: bool = False, max_file_size: Optional[str] = None, max_layers: Optional[int] = None,
              max_yaml_nodes: Optional[int] = None, max_depth: Optional[int] = None,
              max_repeat: Optional[int] = None, max_call_depth: Optional[int] = None,
              config: Optional[str] = None, no_config: bool = False, debug: bool = False) -> int:
    """`netspec check`: schema, shapes, costs and budgets; 0 clean, 1 problems, 2 usage or I/O error.

    Takes exactly the options of `commands.check`; `debug` (tracebacks) is acted on by cli.main.
    The configuration file supplies what the command line leaves unset (see netspec.config).
    """
    from .report import FORMATS, Report, render

    if output_format not in FORMATS:
        raise usage_error(f"unknown --output-format {output_format!r}; choose one of {', '.join(FORMATS)}")
    if depth is not None and depth < 1:
        raise usage_error("--depth must be at least 1 (1 folds every block call in `layers:`)")
    team = read_config(config, no_config)
    if budget_file is None:
        budget_file = team.budget_file
    ignore = [*team.ignore, *ignore]
    strict = team.strict if strict is None else strict
    if device is None and device_file is None:
        device, device_file = team.device, team.device_file
    options = build_options(set_, budget_file, {
        "params": max_params, "maccs": max_maccs, "flops": max_flops,
        "memory_accesses": max_memory_accesses, "compulsory_bytes": max_compulsory_bytes,
        "weight_bytes": max_weight_bytes, "peak_activation_memory": max_peak_memory, "kv_cache_bytes": max_kv_cache,
        "latency": max_latency},
        ignore, max_file_size, max_layers, max_yaml_nodes, max_depth, max_repeat, max_call_depth)
    options.device = device_option(device, device_file)
    if max_latency is not None and options.device is None:
        raise usage_error("--max-latency needs a device to estimate on: --device NAME or --device-file FILE")
    from .pipeline import STDIN, check_path, check_stdin

    paths, unlisted = expand_paths(files, team)
    if not paths:
        raise usage_error("no spec files found in " + ", ".join(files))
    if paths.count(STDIN) > 1:
        raise usage_error("standard input (-) can be read only once")
    if output_format == "mermaid" and len(paths) > 1:
        raise usage_error(f"--output-format mermaid draws one spec, and {len(paths)} were given")
    from .outfile import refuse_clash

    refuse_clash(output_file, [("spec", "/dev/stdin" if p == STDIN else p) for p in paths]
                 + [("budget file", budget_file), ("device profile", device_path(options.device))])
    results = [unreadable_result(p, unlisted[p]) if p in unlisted else check_stdin(options) if p == STDIN
               else check_path(p, options) for p in paths]
    results += policy_results(options, budget_file)
    report = Report(results=results, layers=layers or depth is not None, depth=depth, quiet=quiet, strict=strict, color=use_color(output_file))
    write_output(render(output_format, report), output_file)
    return exit_code(results, strict, exit_zero)


def device_option(name: Optional[str], path: Optional[str]):
    """`--device NAME` / `--device-file FILE` -> a netspec.device.Device, or None when neither was
    given (then the device module is not even imported)."""
    if name is None and path is None:
        return None
    from .device import DeviceError, resolve

    try:
        return resolve(name, path)
    except DeviceError as exc:
        raise usage_error(str(exc)) from None


def device_path(device) -> Optional[str]:
    """The file a --device/--device-file profile was read from (an input no report may replace)."""
    return getattr(device, "path", None)


def unreadable_result(path: str, reason: str):
    """The result of a directory of the scan that could not be listed (NS001, exit 2)."""
    from .diagnostics import Diagnostic
    from .pipeline import FileResult

    return FileResult(path=path, diagnostics=[Diagnostic("NS001", reason, 1, 1, file=path)], io_error=True)


def policy_results(options, budget_file: Optional[str]) -> list:
    """The budget policy's own findings after the run (NS306: a pattern that matched no spec), as a
    result of its own so that every format shows them at the pattern's line."""
    from .pipeline import FileResult

    out = []
    for source in options.budgets:
        found = source.unmatched(budget_file) if source.name == "file" else []
        found = [d for d in found if d.code not in options.ignore]
        if found:
            out.append(FileResult(path=budget_file, diagnostics=found))
    return out


def exit_code(results, strict: bool, exit_zero: bool) -> int:
    if any(r.io_error for r in results):
        return EXIT_USAGE
    from .diagnostics import has_errors

    if not exit_zero and any(has_errors(r.diagnostics, strict) for r in results):
        return EXIT_PROBLEMS
    return EXIT_OK


# The largest values the limit flags take: the stages walk nested data and block calls with
# Python recursion (measured: nesting of ~990 levels, or ~250 block calls, exhausts the default
# stack), and a file is read into memory.
LIMIT_CAPS = {"max_depth": 256, "max_call_depth": 100, "max_file_size": 2**30}


def build_options(set_items, budget_file, flags, ignore, max_file_size, max_layers, max_yaml_nodes,
                  max_depth, max_repeat, max_call_depth):
    from dataclasses import replace

    from .loader import DEFAULT_LIMITS
    from .pipeline import Options

    limits = DEFAULT_LIMITS
    changes = {k: v for k, v in (("max_layers", max_layers), ("max_yaml_nodes", max_yaml_nodes),
                                 ("max_depth", max_depth), ("max_repeat", max_repeat),
                                 ("max_call_depth", max_call_depth)) if v is not None}
    for k, v in changes.items():
        if v < 1:
            raise usage_error(f"--{k.replace('_', '-')} must be at least 1")
        if k in LIMIT_CAPS and v > LIMIT_CAPS[k]:
            raise usage_error(f"--{k.replace('_', '-')} {v} is over its cap of {LIMIT_CAPS[k]:,} "
                              "(deeper nesting would exhaust the interpreter's stack)")
    if max_file_size is not None:
        from .quantity import QuantityError, parse_quantity

        try:
            size = int(parse_quantity(max_file_size, bytes_=True))
        except QuantityError as exc:
            raise usage_error(f"--max-file-size: {exc}") from None
        if size > LIMIT_CAPS["max_file_size"]:
            raise usage_error(f"--max-file-size {max_file_size} is over its cap of 1GiB")
        changes["max_file_size"] = size
    if changes:
        limits = replace(limits, **changes)
    from .budget import BudgetError, command_line_budget, load_budget_file

    budgets = []
    try:
        if budget_file is not None:
            budgets.append(load_budget_file(budget_file))
        cli_budget = command_line_budget(flags)
        if cli_budget is not None:
            budgets.append(cli_budget)
    except BudgetError as exc:
        raise usage_error(str(exc)) from None
    codes = tuple(c.strip().upper() for item in ignore for c in item.split(",") if c.strip())  # NS401,NS404
    from .diagnostics import CODES

    for c in codes:
        if c not in CODES:
            raise usage_error(f"--ignore {c}: no such code (see `netspec explain`)")
    return Options(overrides=parse_set(set_items), limits=limits, budgets=budgets, ignore=codes)
