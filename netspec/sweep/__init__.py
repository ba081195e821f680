"""`netspec sweep`: a spec over a grid of param values, one row per point, with budgets, a Pareto
front and the best point that fits.

Modules: `grid` (the points), `compiled` (a spec traced once into a program of its swept params),
`evaluate` (a point -> its row: the program, or the whole pipeline), `run` (in this process,
over -j processes, or on a Dask cluster), `front` (Pareto front, best point), `report` (formats).
Imported only by the `sweep` command: `check` never loads any of it (tests/test_startup.py).
"""

from __future__ import annotations

import sys
from typing import Optional

from ..checking import EXIT_OK, EXIT_PROBLEMS, build_options, device_option, device_path, read_config, usage_error

__all__ = ["run_sweep", "sweep_command"]

# the command line's budget options -> the budget keys of run_sweep's `flags`
LIMIT_OPTIONS = {"max_params": "params", "max_maccs": "maccs", "max_flops": "flops",
                 "max_memory_accesses": "memory_accesses", "max_compulsory_bytes": "compulsory_bytes",
                 "max_weight_bytes": "weight_bytes", "max_peak_memory": "peak_activation_memory",
                 "max_kv_cache": "kv_cache_bytes", "max_latency": "latency"}


def sweep_command(spec: str, set_: list[str], **options) -> int:
    """`netspec sweep` with the command line's options by name (commands.sweep, fastcli.try_sweep)."""
    options.pop("debug", None)  # cli.main reads --debug itself
    flags = {key: options.pop(option, None) for option, key in LIMIT_OPTIONS.items()}
    return run_sweep(spec, set_, flags=flags, **options)


def run_sweep(spec: str, set_: list[str], random: Optional[int] = None, seed: Optional[int] = None,
              pareto: Optional[str] = None, size: str = "params", best: bool = False,
              output_format: str = "text", output_file: Optional[str] = None, jobs: int = 1,
              scheduler: Optional[str] = None, budget_file: Optional[str] = None, flags: Optional[dict] = None,
              device: Optional[str] = None, device_file: Optional[str] = None, config: Optional[str] = None,
              no_config: bool = False, max_layers: Optional[int] = None, progress: bool = True) -> int:
    """Run a sweep and write its report; 0 done, 1 `--best` found no point that fits (or no point is
    valid), 2 usage or I/O error (raised as checking.UsageError, already printed)."""
    from .front import Best, FrontError, metric_name
    from .grid import GridError, make_grid
    from .report import FORMATS, Sweep

    if output_format not in FORMATS:
        raise usage_error(f"unknown --output-format {output_format!r}; choose one of {', '.join(FORMATS)}")
    if jobs < 1:
        raise usage_error("-j/--jobs must be at least 1")
    if random is not None and random < 1:
        raise usage_error("--random must be at least 1")
    swept, fixed = [], []
    for item in set_:
        value = item.partition("=")[2]
        (swept if ("," in value or value.count(":") == 2) else fixed).append(item)
    try:
        grid = make_grid(swept)
    except GridError as exc:
        raise usage_error(str(exc)) from None
    if not grid.axes:
        raise usage_error("nothing to sweep: give a param several values, --set name=a,b,c or "
                          "--set name=start:stop:step")
    team = read_config(config, no_config)
    if budget_file is None:
        budget_file = team.budget_file
    if device is None and device_file is None:
        device, device_file = team.device, team.device_file
    options = build_options(fixed, budget_file, flags or {}, [], None, max_layers, None, None, None, None)
    options.device = device_option(device, device_file)
    if (flags or {}).get("latency") is not None and options.device is None:
        raise usage_error("--max-latency needs a device to estimate on: --device NAME or --device-file FILE")
    clash = set(options.overrides) & set(grid.names)
    if clash:
        raise usage_error(f"--set {sorted(clash)[0]} is given twice")
    names = grid.names
    try:
        minimise = [metric_name(w, names, options.device is not None) for w in pareto.split(",")] if pareto else []
        maximise = metric_name(size, names, options.device is not None)
    except FrontError as exc:
        raise usage_error(f"--pareto/--size: {exc}") from None
    if pareto and not 2 <= len(minimise) <= 3:
        raise usage_error("--pareto takes 2 or 3 metrics to minimise (the maximised one is --size, default params)")
    from ..outfile import refuse_clash
    from ..pipeline import STDIN

    refuse_clash(output_file, [("spec", "/dev/stdin" if spec == STDIN else spec), ("budget file", budget_file),
                               ("device profile", device_path(options.device))])
    text, path = _read_spec(spec, options.limits)
    _check_names(text, path, names + tuple(options.overrides), options.limits)

    from .evaluate import Setup

    setup = Setup(text, path, names, dict(options.overrides), options.limits, options.budgets, options.device)
    indices = grid.indices(random, seed)
    total = len(indices)
    limits = _limits_in_force(setup)
    sweep = Sweep(path, names, grid.axes, dict(options.overrides), options.device.name if options.device else None,
                  limits, minimise, maximise, best, total)
    rows = _rows(setup, ((i, grid.point(i)) for i in indices), jobs, scheduler)
    if progress:
        from .run import with_progress

        rows = with_progress(rows, total)
    tracker = Best(maximise, names) if best else None
    found = _write(sweep, rows, output_format, output_file, tracker)
    if best:
        if output_format == "csv":  # a CSV file has no place for it
            from .report import best_text

            print(best_text(sweep, tracker.row), file=sys.stderr)
        return EXIT_OK if tracker.row is not None else EXIT_PROBLEMS
    return EXIT_OK if found else EXIT_PROBLEMS


def _read_spec(spec: str, limits) -> tuple[str, str]:
    """The spec's text, read as `check` reads it: a regular file (no FIFO, device or /proc file) or
    standard input, at most the file-size limit, UTF-8; anything else is a usage error."""
    from ..loader import decode_spec, read_text
    from ..pipeline import STDIN, STDIN_NAME

    if spec == STDIN:
        path = STDIN_NAME
        try:
            text, problem = decode_spec(sys.stdin.buffer.read(limits.max_file_size + 1), limits, "standard input")
        except OSError as exc:
            raise usage_error(f"cannot read standard input: {exc.strerror or exc}") from None
    else:
        path = spec
        text, problem = read_text(spec, limits)
    if problem is not None:
        raise usage_error(f"{path}:{problem.line}:{problem.column}: [{problem.code}] {problem.message}")
    return text, path


def _check_names(text: str, path: str, names: tuple, limits) -> None:
    """Every --set names a param of the spec (else a usage error with a hint, not N invalid rows)."""
    from ..loader import PosDict, load_text

    data = load_text(text, limits).data
    params = data.get("params") if isinstance(data, PosDict) else None
    known = list(params) if isinstance(params, dict) else []
    for name in names:
        if name not in known:
            import difflib

            hint = difflib.get_close_matches(name, known, n=1)
            raise usage_error(f"--set {name}: {path} has no param `{name}`"
                              + (f" (did you mean `{hint[0]}`?)" if hint else
                                 f" (its params: {', '.join(known) or 'none'})"))


def _limits_in_force(setup) -> list:
    """The budget limits that apply to this spec (for the reports), as `check` would apply them."""
    from ..budget import effective_limits
    from ..graph import Graph
    from ..loader import PosDict, load_text

    data = load_text(setup.text, setup.limits).data
    if not isinstance(data, PosDict):
        return []
    graph = Graph(str(data.get("name", "")), (), budget=data.get("budget") if isinstance(data.get("budget"), dict)
                  else None)
    try:
        return effective_limits(graph, setup.path, setup.budgets, [])
    except Exception:  # a spec budget the pipeline will report per point
        return []


def _rows(setup, points, jobs: int, scheduler: Optional[str]):
    from .run import DaskMissing, dask_rows, local_rows, process_rows

    if scheduler is not None:
        rows = dask_rows(setup, points, scheduler)
        try:
            first = next(rows)
        except DaskMissing:
            raise usage_error("--scheduler needs dask.distributed: pip install 'netspec-cli[dask]'") from None
        except StopIteration:
            return iter(())
        import itertools

        return itertools.chain([first], rows)
    if jobs > 1:
        return process_rows(setup, points, jobs)
    return local_rows(setup, points)


def _write(sweep, rows, output_format: str, output_file: Optional[str], tracker) -> bool:
    """Write the report; True when some point was valid."""
    from .front import pareto as front_of
    from .report import STREAMING, WRITERS

    from ..outfile import open_output

    with open_output(output_file) as out:
        if output_format in STREAMING and not sweep.minimise:
            tally = WRITERS[output_format](out, sweep, rows, None, tracker)
            front = None
        else:
            kept = list(rows)
            front = front_of(kept, sweep.minimise, sweep.maximise, sweep.names) if sweep.minimise else None
            if output_format == "html":
                from .html import write_html

                tally = write_html(out, sweep, kept, front, tracker)
            else:
                tally = WRITERS[output_format](out, sweep, kept, front, tracker)
        if output_format in ("text", "markdown"):
            from .report import best_text, summary_text

            out.write(("\n" if output_format == "markdown" else "") + summary_text(sweep, tally, front) + "\n")
            if tracker is not None:
                out.write(best_text(sweep, tracker.row) + "\n")
    return tally.valid > 0
