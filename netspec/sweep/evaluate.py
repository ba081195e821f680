"""One point of a sweep -> its row: the compiled program when it applies, else the whole pipeline.

An `Evaluator` is made once per process (per worker with -j or Dask) from a picklable `Setup`:
the spec is read and schema-checked once; every point then runs a compiled program
(`compiled.py`), and only a point the program cannot take (a guard, an error, an unusual spec)
goes through `pipeline.check_loaded`, which also gives the located diagnostic of an invalid point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..diagnostics import ERROR
from ..loader import DEFAULT_LIMITS, Limits, PosDict, load_text
from ..pipeline import Options, check_loaded
from .compiled import Fallback, Retrace, trace

MAX_PROGRAMS = 16  # traced structures kept per spec; past that, points go through the pipeline
BUDGET_CODES = ("NS301", "NS302")  # a budget exceeded: the row says `fits: false`, it is no error


@dataclass(slots=True)
class Setup:
    """Everything a worker needs to evaluate points; pickled to -j workers and Dask workers, so the
    spec travels as text (a remote worker need not see the file)."""

    text: str
    path: str
    names: tuple[str, ...]  # swept params, in point order
    static: dict = field(default_factory=dict)  # --set name=value with one value
    limits: Limits = DEFAULT_LIMITS
    budgets: list = field(default_factory=list)  # netspec.budget.BudgetSource, in precedence order
    device: object = None  # netspec.device.Device
    compiled: bool = True  # False: every point through the pipeline (tests compare the two)
    token: str = field(default_factory=lambda: __import__("uuid").uuid4().hex)  # names this sweep in workers


class Row(NamedTuple):
    """A point's result. Metrics are None when the point is invalid; then `error` is its first
    error diagnostic (a netspec.diagnostics.Diagnostic, file set)."""

    index: int
    values: tuple
    params: int | None = None
    maccs: int | None = None
    flops: int | None = None
    peak_memory: int | None = None
    weight_bytes: int | None = None
    latency: float | None = None
    fits: bool | None = None
    error: object = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Evaluator:
    """Rows of one spec's points, in one process."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.loaded = load_text(setup.text, setup.limits)
        self.programs: list = []
        self.limits: list | None = None
        self.full = False  # the compiled path builds the graph (latency, per-layer limits)
        self.compiled = setup.compiled and self._compilable()

    def _compilable(self) -> bool:
        from ..validate import validate

        data = self.loaded.data
        if not isinstance(data, PosDict) or any(d.severity == ERROR for d in self.loaded.diagnostics):
            return False
        if validate(data):
            return False
        from ..budget import effective_limits
        from ..graph import Graph

        problems: list = []
        graph = Graph(str(data.get("name", "")), (), budget=data.get("budget"))
        self.limits = effective_limits(graph, self.setup.path, self.setup.budgets, problems)
        if problems:
            return False
        self.full = self.setup.device is not None or any(lim.per_layer or lim.key == "latency" for lim in self.limits)
        return True

    def row(self, index: int, values: tuple) -> Row:
        if self.compiled:
            try:
                return self._compiled(index, values)
            except Fallback:
                pass
        return self._pipeline(index, values)

    def _program_run(self, values: tuple):
        for program in self.programs:
            try:
                return program.run(values, self.full)
            except Retrace:
                continue
        if len(self.programs) >= MAX_PROGRAMS:
            raise Fallback
        s = self.setup
        program = trace(self.loaded.data, s.static, s.names, values, s.limits)
        self.programs.insert(0, program)
        return program.run(values, self.full)

    def _compiled(self, index: int, values: tuple) -> Row:
        out = self._program_run(values)
        if not self.full:
            t = out
            fits = all(getattr(t, lim.key) <= lim.value for lim in self.limits)
            return Row(index, values, t.params, t.maccs, t.flops, t.peak_activation_memory, t.weight_bytes, None, fits)
        from ..budget import judge
        from ..cost import annotate_costs, overflow_diagnostics

        graph = out
        totals = annotate_costs(graph)
        if overflow_diagnostics(graph, totals):
            raise Fallback
        estimate = None
        if self.setup.device is not None:
            from ..latency import estimate as run_estimate

            estimate = run_estimate(graph, self.setup.device)
            if estimate is None:
                raise Fallback  # NS304: the pipeline says it
        _, statuses = judge(graph, totals, self.setup.budgets, self.setup.path, None, estimate)
        return Row(index, values, totals.params, totals.maccs, totals.flops, totals.peak_activation_memory,
                   totals.weight_bytes, estimate.latency if estimate is not None else None,
                   not any(s.over for s in statuses))

    def _pipeline(self, index: int, values: tuple) -> Row:
        s = self.setup
        options = Options(overrides={**s.static, **dict(zip(s.names, values))}, limits=s.limits, budgets=s.budgets,
                          device=s.device)
        result = check_loaded(self.loaded, s.path, options)
        errors = [d for d in result.diagnostics if d.severity == ERROR and d.code not in BUDGET_CODES]
        if errors or result.totals is None:
            first = errors[0] if errors else result.diagnostics[0]
            return Row(index, values, error=first)
        t = result.totals
        latency = result.latency.latency if result.latency is not None else None
        return Row(index, values, t.params, t.maccs, t.flops, t.peak_activation_memory, t.weight_bytes, latency,
                   not any(b.over for b in result.budget))


# -- a process's evaluators, for -j workers and Dask tasks ------------------------------------------

_EVALUATORS: dict = {}  # Setup.token -> Evaluator


def rows_of(setup: Setup, points: list[tuple[int, tuple]]) -> list[Row]:
    """The rows of a chunk of (index, values) points, with this process's evaluator of `setup`
    (made on first use and kept: a worker reads and compiles each sweep's spec once)."""
    evaluator = _EVALUATORS.get(setup.token)
    if evaluator is None:
        if len(_EVALUATORS) >= 8:
            _EVALUATORS.clear()
        evaluator = _EVALUATORS[setup.token] = Evaluator(setup)
    return [evaluator.row(i, v) for i, v in points]
