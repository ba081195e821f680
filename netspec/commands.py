"""The typer app: one function per command, each turning options into a call of the library."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from . import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help, as click prints it: flags show no metavar and long option names are never cut at
    # 80 columns (rich's option table truncates them). tests/test_help.py holds this to account.
    rich_markup_mode=None,
    help="Validate declarative neural-network specs and count their params, MACCs, FLOPs and memory.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

from .checking import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, build_options, parse_set, run_check, usage_error, write_output


def _version(value: bool) -> None:
    if value:
        print(f"netspec {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """netspec: check a YAML network spec before it is merged."""


def _limit(what: str, example: str, metavar: str = "N"):
    return Annotated[Optional[str], typer.Option(metavar=metavar, help=f"Budget for {what} ({example}).")]


_BudgetFile = Annotated[Optional[str], typer.Option("--budget-file", metavar="FILE",
                                                    help="A team budget policy (YAML).")]
_MaxPeakMemory = Annotated[Optional[str], typer.Option("--max-peak-memory", "--max-peak-activation-memory",
                                                       metavar="BYTES", help="Budget for peak activation memory (8MiB).")]
_MaxKvCache = Annotated[Optional[str], typer.Option(
    "--max-kv-cache", metavar="BYTES", help="Budget for attention's KV cache, all layers (2GiB).")]
_MaxLatency = Annotated[Optional[str], typer.Option(
    "--max-latency", metavar="TIME", help="Budget for the estimated latency on --device (5ms, 250us).")]


@app.command(short_help="Check specs: schema, shapes, costs, budgets.")
def check(
    files: Annotated[list[str], typer.Argument(
        metavar="FILE", show_default=False,
        help="Spec files, directories of *.yaml/*.yml specs, or - for standard input.")],
    output_format: Annotated[str, typer.Option(
        "--output-format", "-f", metavar="FORMAT",
        help="text, json, markdown, csv, github, sarif, html (one self-contained page; use -o) or mermaid.")] = "text",
    layers: Annotated[bool, typer.Option("--layers", "-l", help="Show the per-layer table.")] = False,
    depth: Annotated[Optional[int], typer.Option(
        "--depth", metavar="N",
        help="Per-layer table with block calls nested N deep folded into subtotal rows (1: the "
             "calls in layers:).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print problems only.")] = False,
    set_: Annotated[list[str], typer.Option("--set", "-s", metavar="NAME=VALUE",
                                            help="Override a spec param (repeatable).")] = [],
    budget_file: _BudgetFile = None,
    max_params: _limit("parameters", "3.5M") = None,
    max_maccs: _limit("multiply-accumulates", "300M") = None,
    max_flops: _limit("FLOPs", "1.2G") = None,
    max_memory_accesses: _limit("memory accesses, in elements", "400M") = None,
    max_compulsory_bytes: _limit("compulsory traffic", "64MiB", "BYTES") = None,
    max_weight_bytes: _limit("weight bytes", "16MB", "BYTES") = None,
    max_peak_memory: _MaxPeakMemory = None,
    max_kv_cache: _MaxKvCache = None,
    max_latency: _MaxLatency = None,
    device: Annotated[Optional[str], typer.Option(
        "--device", metavar="NAME",
        help="Estimate per-layer latency on a device profile (`netspec devices` lists them).")] = None,
    device_file: Annotated[Optional[str], typer.Option(
        "--device-file", metavar="FILE", help="Estimate latency on your own device profile (YAML).")] = None,
    strict: Annotated[Optional[bool], typer.Option(
        "--strict/--no-strict", show_default=False,
        help="Warnings fail the check too (--no-strict: they do not, whatever the config says).")] = None,
    ignore: Annotated[list[str], typer.Option("--ignore", metavar="CODES",
                                              help="Disable warning codes: NS401,NS404 (repeatable).")] = [],
    output_file: Annotated[Optional[str], typer.Option("--output-file", "-o", metavar="FILE",
                                                       help="Write the report here instead of stdout.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when problems are found.")] = False,
    max_file_size: Annotated[Optional[str], typer.Option(metavar="BYTES",
                                                         help="Largest spec file read (default 10MiB).")] = None,
    max_layers: Annotated[Optional[int], typer.Option(metavar="N",
                                                      help="Expanded layers allowed (default 100,000).")] = None,
    max_yaml_nodes: Annotated[Optional[int], typer.Option(
        metavar="N", help="YAML nodes after aliases (default 1,000,000).")] = None,
    max_depth: Annotated[Optional[int], typer.Option(metavar="N", help="YAML nesting depth (default 64).")] = None,
    max_repeat: Annotated[Optional[int], typer.Option(metavar="N",
                                                      help="Largest `repeat:` (default 10,000).")] = None,
    max_call_depth: Annotated[Optional[int], typer.Option(metavar="N",
                                                          help="Nested block calls (default 32).")] = None,
    config: Annotated[Optional[str], typer.Option(
        "--config", metavar="FILE",
        help="Read defaults from this file (.netspec.yaml or pyproject.toml) instead of the one found.")] = None,
    no_config: Annotated[bool, typer.Option("--no-config", help="Read no configuration file.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
) -> None:
    """Check specs: schema, shapes, costs and budgets. Exit 0 clean, 1 problems, 2 usage or I/O error."""
    raise typer.Exit(run_check(
        files, output_format=output_format, layers=layers, depth=depth, quiet=quiet, set_=set_, budget_file=budget_file,
        max_params=max_params, max_maccs=max_maccs, max_flops=max_flops, max_memory_accesses=max_memory_accesses,
        max_compulsory_bytes=max_compulsory_bytes, max_weight_bytes=max_weight_bytes,
        max_peak_memory=max_peak_memory, max_kv_cache=max_kv_cache, max_latency=max_latency, device=device,
        device_file=device_file, strict=strict, ignore=ignore, output_file=output_file,
        exit_zero=exit_zero, max_file_size=max_file_size, max_layers=max_layers, max_yaml_nodes=max_yaml_nodes,
        max_depth=max_depth, max_repeat=max_repeat, max_call_depth=max_call_depth, config=config,
        no_config=no_config, debug=debug))


@app.command(short_help="Sweep params over a grid: costs, budget fit, Pareto front.")
def sweep(
    spec: Annotated[str, typer.Argument(metavar="SPEC", show_default=False, help="The spec file (or - for standard input).")],
    set_: Annotated[list[str], typer.Option(
        "--set", "-s", metavar="NAME=VALUES",
        help="A param's values: a list 0.35,0.5,1.0, or a range start:stop:step with stop included when a "
             "step lands on it (128:224:32 is 128,160,192,224); one value fixes the param. Repeatable: the "
             "grid is every combination, the first --set varying slowest.")] = [],
    random: Annotated[Optional[int], typer.Option(
        "--random", metavar="N", help="N distinct points of the grid drawn at random (in grid order).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", metavar="S", help="Seed of --random (repeatable draws).")] = None,
    pareto: Annotated[Optional[str], typer.Option(
        "--pareto", metavar="METRICS",
        help="Mark the Pareto front: 2 or 3 metrics to minimise (params, maccs, flops, peak_memory, "
             "weight_bytes, latency, or a swept param), with --size maximised.")] = None,
    size: Annotated[str, typer.Option(
        "--size", metavar="METRIC", help="What `largest` means, maximised by --pareto and --best: a metric or a "
             "swept param.")] = "params",
    best: Annotated[bool, typer.Option(
        "--best", help="Print the largest point that fits the budget: the most --size, ties to fewer MACCs, "
                       "then the first. Exit 1 when none fits.")] = False,
    output_format: Annotated[str, typer.Option(
        "--output-format", "-f", metavar="FORMAT",
        help="text, json, csv, markdown or html (a scatter plot of the front with the budget; use -o).")] = "text",
    output_file: Annotated[Optional[str], typer.Option("--output-file", "-o", metavar="FILE",
                                                       help="Write the report here instead of stdout.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", metavar="N",
                                      help="Spread the points over N processes (same rows, same order).")] = 1,
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", metavar="ADDRESS",
        help="Send the points to a Dask distributed scheduler (tcp://host:8786); needs the [dask] extra.")] = None,
    budget_file: _BudgetFile = None,
    max_params: _limit("parameters", "3.5M") = None,
    max_maccs: _limit("multiply-accumulates", "300M") = None,
    max_flops: _limit("FLOPs", "1.2G") = None,
    max_memory_accesses: _limit("memory accesses, in elements", "400M") = None,
    max_compulsory_bytes: _limit("compulsory traffic", "64MiB", "BYTES") = None,
    max_weight_bytes: _limit("weight bytes", "16MB", "BYTES") = None,
    max_peak_memory: _MaxPeakMemory = None,
    max_kv_cache: _MaxKvCache = None,
    max_latency: _MaxLatency = None,
    device: Annotated[Optional[str], typer.Option(
        "--device", metavar="NAME", help="Estimate latency on a device profile (`netspec devices`).")] = None,
    device_file: Annotated[Optional[str], typer.Option(
        "--device-file", metavar="FILE", help="Estimate latency on your own device profile (YAML).")] = None,
    max_layers: Annotated[Optional[int], typer.Option(metavar="N",
                                                      help="Expanded layers allowed (default 100,000).")] = None,
    config: Annotated[Optional[str], typer.Option(
        "--config", metavar="FILE", help="Read defaults from this file instead of the one found.")] = None,
    no_config: Annotated[bool, typer.Option("--no-config", help="Read no configuration file.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
) -> None:
    """Sweep a spec's params over a grid (or --random points of it): one row per point with params,
    MACCs, FLOPs, peak activation memory, weight bytes, latency (--device) and whether it fits the
    budget; a point that fails to check shows its first diagnostic. Exit 0 done, 1 no point valid
    (or, with --best, none fits), 2 usage or I/O error."""
    options = dict(locals())  # every parameter above, by name (fastcli.try_sweep passes the same)
    from .sweep import sweep_command

    raise typer.Exit(sweep_command(**options))


@app.command(short_help="Compare two versions of a spec (for PRs).")
def diff(
    base: Annotated[str, typer.Argument(help="The base spec: a path, or REV:path (read with git show).")],
    head: Annotated[str, typer.Argument(help="The proposed spec: a path, or REV:path.")],
    output_format: Annotated[str, typer.Option("--output-format", "-f", metavar="FORMAT",
                                               help="text, json or markdown.")] = "text",
    fail_on_increase: Annotated[list[str], typer.Option(
        "--fail-on-increase", metavar="METRIC=AMOUNT",
        help="Exit 1 when METRIC grows by more than AMOUNT (5% or 100K); repeatable.")] = [],
    set_: Annotated[list[str], typer.Option("--set", "-s", metavar="NAME=VALUE",
                                            help="Override a param on both sides.")] = [],
    budget_file: Annotated[Optional[str], typer.Option(
        "--budget-file", metavar="FILE", help="A team budget policy (YAML), applied to both sides.")] = None,
    output_file: Annotated[Optional[str], typer.Option(
        "--output-file", "-o", metavar="FILE", help="Write the report here instead of stdout.")] = None,
    max_file_size: Annotated[Optional[str], typer.Option(metavar="BYTES", help="Default 10MiB, for each side.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
) -> None:
    """Compare two versions of a spec (for pull requests). Exit 0 compared; 1 a --fail-on-increase
    rule broke, or a side has errors (printed, with the side named); 2 a usage or I/O error."""
    from .diff import SideError, compare, parse_rule, read_side
    from .pipeline import check_text, paused_gc
    from .report.diff_report import RENDERERS
    from .report.text import diagnostic_line

    if output_format not in RENDERERS:
        raise usage_error(f"unknown --output-format {output_format!r}; choose one of {', '.join(RENDERERS)}")
    try:
        rules = [parse_rule(r) for r in fail_on_increase]
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    options = build_options(set_, budget_file, {}, [], max_file_size, None, None, None, None, None)
    from .outfile import refuse_clash

    refuse_clash(output_file, [("base spec", base), ("head spec", head), ("budget file", budget_file)])
    try:
        sides = [read_side(base, options.limits), read_side(head, options.limits)]
    except SideError as exc:
        raise usage_error(str(exc)) from None
    if sides[1].text is None and sides[1].problem is None:
        raise usage_error(f"{head} does not exist")
    invalid = []
    io_error = False
    for which, side in zip(("base", "head"), sides):
        if side.problem is not None:
            side.problem.file = side.label
            print(diagnostic_line(side.problem), file=sys.stderr)
            invalid.append(f"the {which} {side.label}")
            io_error = io_error or side.problem.code == "NS001"
        elif side.text is not None:
            side.result = check_text(side.text, side.label, options)
            if side.result.totals is None:
                invalid.append(f"the {which} {side.label}")
                for d in side.result.diagnostics:
                    print(diagnostic_line(d), file=sys.stderr)
    if invalid:
        from .report.escape import visible

        print(f"netspec: diff: {visible(' and '.join(invalid))} {'has' if len(invalid) == 1 else 'have'} errors (above), "
              f"so there is nothing to compare; exit {EXIT_USAGE if io_error else EXIT_PROBLEMS}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE if io_error else EXIT_PROBLEMS)
    with paused_gc():  # as for check: comparing and writing make many small acyclic objects
        result = compare(sides[0], sides[1], rules)
        write_output(RENDERERS[output_format](result), output_file)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@app.command(short_help="Print the spec format's JSON Schema.")
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors and other validators)."""
    from .resources import schema_text

    sys.stdout.write(schema_text())


@app.command(short_help="Explain diagnostic codes, or list them all.")
def explain(
    codes: Annotated[Optional[list[str]], typer.Argument(
        metavar="CODE", show_default=False,
        help="Codes (NS203) or their names (shape-mismatch); omit to list every code.")] = None,
) -> None:
    """Explain diagnostic codes: why each fires, a minimal bad example, the fix. Without a code,
    list every code."""
    from .explain import explain as explain_code, find, listing

    if not codes:
        sys.stdout.write(listing())
        return
    found = []
    for word in codes:
        entry = find(word)
        if entry is None:
            raise usage_error(f"no such code {word!r}; `netspec explain` lists them")
        found.append(explain_code(entry))
    sys.stdout.write("\n".join(found))


@app.command(short_help="Export a spec as PyTorch source.")
def export(
    spec: Annotated[str, typer.Argument(help="The spec file to export.", show_default=False)],
    to: Annotated[str, typer.Option("--to", "-t", help="Target framework: torch.")] = "torch",
    output_file: Annotated[Optional[str], typer.Option("--output-file", "-o", metavar="FILE",
                                                       help="Write the Python file here instead of stdout.")] = None,
    set_: Annotated[list[str], typer.Option("--set", "-s", metavar="NAME=VALUE",
                                            help="Override a spec param (repeatable).")] = [],
) -> None:
    """Export a spec as a framework module (PyTorch source). Exit 0 written, 1 spec errors, 2 usage/setup."""
    from .export import export_command

    raise typer.Exit(export_command(spec, to=to, output=output_file, overrides=parse_set(set_)))


@app.command("import", short_help="Import an ONNX model or a PyTorch factory as a spec.")
def import_(
    model: Annotated[Optional[str], typer.Argument(
        metavar="MODEL", show_default=False, help="The .onnx file to import (or use --torch).")] = None,
    output_file: Annotated[Optional[str], typer.Option(
        "--output-file", "-o", metavar="FILE", help="Write the spec here (default: standard output).")] = None,
    torch_factory: Annotated[Optional[str], typer.Option(
        "--torch", metavar="MODULE:FACTORY",
        help="Build this PyTorch model (package.module:factory) and import it via ONNX in memory.")] = None,
    input_shape: Annotated[Optional[str], typer.Option(
        "--input-shape", metavar="CxHxW", help="The --torch model's input, channels first (default 3x224x224).")] = None,
    blocks: Annotated[bool, typer.Option(
        "--blocks", help="Fold repeated subgraphs into blocks called with repeat.")] = False,
    allow_partial: Annotated[bool, typer.Option(
        "--allow-partial", help="Write the spec even where nodes cannot be expressed (each gap gets a note; exit 1).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    name: Annotated[Optional[str], typer.Option(
        "--name", metavar="NAME", help="The spec's name (default: the output file's or the graph's).")] = None,
    max_file_size: Annotated[Optional[str], typer.Option(
        "--max-file-size", metavar="BYTES", help="Largest ONNX file read (default 2GiB).")] = None,
) -> None:
    """Import an ONNX model (or a PyTorch model exported in memory) as a readable spec. Nodes netspec
    cannot express are all listed and nothing is written (exit 1) unless --allow-partial. Exit 0
    written, 1 problems, 2 usage or set-up problem."""
    from .importer.command import import_command
    from .quantity import parse_quantity

    limit = None
    if max_file_size is not None:
        try:
            limit = parse_quantity(max_file_size, bytes_=True)
        except ValueError as exc:
            raise usage_error(f"--max-file-size: {exc}") from None
    raise typer.Exit(import_command(model, output_file, torch_factory, input_shape, blocks, allow_partial, force,
                                    name, limit))


@app.command(short_help="List the device profiles for --device, with sources.")
def devices(
    names: Annotated[Optional[list[str]], typer.Argument(
        help="Profiles to show (names or aliases); omit for all.", show_default=False)] = None,
    output_format: Annotated[str, typer.Option("--output-format", "-f", help="text or json.")] = "text",
    device_file: Annotated[list[str], typer.Option(
        "--device-file", metavar="FILE", help="Also show (and check) this profile of your own; repeatable.")] = [],
) -> None:
    """List the device profiles for --device, every figure with its source (the page it was read
    from and when, or `unverified` and why) and its dense/sparse mark."""
    from .device import DeviceError, find, read_profile, shipped
    from .report import devices as render

    if output_format not in ("text", "json"):
        raise usage_error(f"unknown --output-format {output_format!r}; choose text or json")
    try:
        found = [find(n) for n in names] if names else [read_profile(p) for p in shipped()]
        found += [read_profile(p) for p in device_file]
    except DeviceError as exc:
        raise usage_error(str(exc)) from None
    sys.stdout.write(render.as_json(found) if output_format == "json" else render.text(found))


@app.command(short_help="Measure this machine's device profile (PyTorch).")
def calibrate(
    output_file: Annotated[str, typer.Option("--output-file", "-o", metavar="FILE",
                                             help="Write the measured profile here (YAML).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    threads: Annotated[Optional[int], typer.Option(
        "--threads", metavar="N", help="PyTorch threads to measure with (default: PyTorch's, all cores).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="The profile's name (default: the file's).")] = None,
) -> None:
    """Measure this machine's device profile with PyTorch microbenchmarks (GEMM peaks, bandwidth,
    overhead, efficiency per op family), in under a minute; use it with --device-file. Never
    overwrites FILE without --force. Exit 0 written, 2 usage or set-up problem."""
    from .calibrate import calibrate_command

    raise typer.Exit(calibrate_command(output_file, force=force, threads=threads, name=name))
