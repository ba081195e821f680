"""The pipeline: load -> validate -> expand (+ infer) -> cost -> judge -> lint, for one spec.

Each stage adds diagnostics; a stage runs only on what the earlier ones could build, so one bad
node is reported once and the rest of the file is still checked.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from .diagnostics import ERROR, Diagnostic
from .loader import DEFAULT_LIMITS, Limits, Loaded, load_file, load_text


@contextmanager
def paused_gc():
    """The cyclic garbage collector paused for a block, and restored after.

    A check allocates hundreds of thousands of small, acyclic objects (YAML nodes, layers, cost
    rows), and so does a report of them; each allocation burst triggers collections that re-walk
    everything alive, which was 40-50% of a 10,000-layer check (and ~4 s of `diff -f html` of two
    88,000-layer specs). The few cycles made meanwhile (caught exceptions and their tracebacks) are
    collected once the collector runs again.
    """
    import gc

    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _without_gc(func):
    """Run a check with the collector paused (see paused_gc)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with paused_gc():
            return func(*args, **kwargs)

    return wrapper


@dataclass(slots=True)
class Options:
    overrides: dict = field(default_factory=dict)  # --set name=value
    limits: Limits = DEFAULT_LIMITS
    budgets: list = field(default_factory=list)  # extra budget sources, in precedence order
    ignore: tuple[str, ...] = ()  # codes disabled for the run
    device: object = None  # netspec.device.Device: estimate latency on it (--device / --device-file)


@dataclass(slots=True)
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    graph: object = None  # netspec.graph.Graph when the spec could be expanded
    totals: object = None  # netspec.cost.Totals when costs were computed
    budget: list = field(default_factory=list)  # netspec.budget.BudgetStatus entries
    latency: object = None  # netspec.latency.Estimate when a device was given and has the spec's dtype
    io_error: bool = False

    @property
    def ok(self) -> bool:
        return not any(d.severity == ERROR for d in self.diagnostics)


@_without_gc
def check_loaded(loaded: Loaded, path: str, options: Options | None = None) -> FileResult:
    options = options or Options()
    result = FileResult(path=path, diagnostics=list(loaded.diagnostics))
    data = loaded.data
    from .loader import PosDict

    if not isinstance(data, PosDict) or any(d.code in _FATAL for d in result.diagnostics):
        return _finish(result, path, options)
    from .validate import validate

    schema_diags = validate(data)
    result.diagnostics += schema_diags
    if any(d.path in ("", "layers") or d.path.split(".")[0].split("[")[0] in _HEADER for d in schema_diags) \
            or not isinstance(data.get("input"), PosDict):  # (a misspelt `input:` the schema named as NS101)
        return _finish(result, path, options)
    from .expand import bad_entry_paths, expand

    bad = bad_entry_paths(schema_diags + loaded.diagnostics)
    graph, diags = expand(data, options.overrides, options.limits, bad)
    result.diagnostics += diags
    if graph is None or not result.ok:
        return _finish(result, path, options)
    result.graph = graph
    from .cost import annotate_costs, overflow_diagnostics

    result.totals = annotate_costs(graph)
    overflow = overflow_diagnostics(graph, result.totals)
    if overflow:  # NS215: no report (JSON, CSV, SARIF) gets a total a 64-bit reader cannot hold
        result.diagnostics += overflow
        result.totals = None
        return _finish(result, path, options)
    if options.device is not None:  # only with --device: nothing of this is imported otherwise
        from .latency import estimate, unavailable

        result.latency = estimate(graph, options.device)
        if result.latency is None:
            anchor = data.value_span("dtype") if "dtype" in data else data.key_span("name")
            result.diagnostics.append(unavailable(graph, options.device, anchor))
    from .budget import judge
    from .lint import lint

    budget_diags, result.budget = judge(graph, result.totals, options.budgets, path, data.key_span("name"),
                                        result.latency)
    result.diagnostics += budget_diags
    result.diagnostics += lint(graph, result.totals)
    return _finish(result, path, options)


# Loader findings after which the data cannot be trusted at all.
_FATAL = {"NS002", "NS005", "NS006", "NS007", "NS009", "NS010", "NS011", "NS012"}
# Top-level keys whose errors leave nothing to expand.
_HEADER = {"input", "batch", "dtype", "params"}


def _finish(result: FileResult, path: str, options: Options) -> FileResult:
    ignored = set(options.ignore)
    if result.graph is not None:
        ignored |= set(result.graph.lint_ignore)
    diags = [d for d in result.diagnostics if d.code not in ignored or d.severity == ERROR]
    for d in diags:
        d.file = path
    diags.sort(key=lambda d: (d.line, d.column, d.code))
    result.diagnostics = diags
    return result


@_without_gc
def check_path(path: str, options: Options | None = None) -> FileResult:
    options = options or Options()
    loaded = load_file(path, options.limits)
    result = check_loaded(loaded, path, options)
    result.io_error = any(d.code == "NS001" for d in result.diagnostics)
    return result


STDIN = "-"  # the file argument that means standard input
STDIN_NAME = "<stdin>"  # its name in diagnostics, as ruff and yamllint print it


def check_stdin(options: Options | None = None, stream=None) -> FileResult:
    """`netspec check -`: one spec read from standard input (editors pipe the unsaved buffer),
    under the same size limit and UTF-8 rule as a file."""
    import sys

    from .loader import decode_spec

    options = options or Options()
    stream = sys.stdin.buffer if stream is None else stream
    try:
        raw = stream.read(options.limits.max_file_size + 1)
    except OSError as exc:
        problem = Diagnostic("NS001", f"cannot read standard input: {exc.strerror or exc}", 1, 1)
    else:
        text, problem = decode_spec(raw, options.limits, "standard input")
        if problem is None:
            return check_text(text, STDIN_NAME, options)
    result = _finish(FileResult(path=STDIN_NAME, diagnostics=[problem]), STDIN_NAME, options)
    result.io_error = problem.code == "NS001"
    return result


@_without_gc
def check_text(text: str, path: str = "<string>", options: Options | None = None) -> FileResult:
    options = options or Options()
    return check_loaded(load_text(text, options.limits), path, options)
