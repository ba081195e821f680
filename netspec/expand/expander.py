"""The walk of expansion: the spec, its input, its layer lists entry by entry.

`Expander` holds the state of one expansion and walks the spec top-down; the parts it inherits do
one job each: `Instancing` (`repeat`, `when`, one layer), `Evaluating` (params, expressions,
attributes), `Naming` (scopes and references), `Calling` (block calls and replay) and `Reporting`
(diagnostics once, limits).
"""

from __future__ import annotations

import math

from ..diagnostics import Diagnostic
from ..expr import Budget
from ..graph import INPUT, Graph
from ..loader import DEFAULT_LIMITS, Limits, PosDict, PosList
from ..ops import Tokens
from .calls import Calling
from .instances import Instancing
from .reporting import (CALL_TEXT, INT64_MAX, MAX_NAME, POISON, STEPS_PER_LAYER, TEXT_PER_LAYER, Reporting, Skip,
                        Stop)
from .scopes import Naming, Scope
from .values import Evaluating


class Expander(Instancing, Reporting, Evaluating, Naming, Calling):
    """Expands one validated spec into a flat `Graph` (`run`), collecting diagnostics in `diags`."""

    def __init__(self, data: PosDict, overrides: dict | None = None, limits: Limits = DEFAULT_LIMITS,
                 bad_paths: set[str] | frozenset = frozenset(), replay: bool = True) -> None:
        self.data = data
        self.overrides = overrides or {}
        self.limits = limits
        self.bad = bad_paths
        self.diags: list[Diagnostic] = []
        self.global_names: dict[str, int] = {}
        blocks = data.get("blocks")
        self.blocks = blocks if isinstance(blocks, dict) else {}  # (a `blocks:` of another type is NS103)
        self.graph: Graph | None = None
        self.reported: set = set()  # (code, path, span, message without the instance name)
        self.visited = 0  # layer instances gone through, whatever became of them (see tick)
        self.references = 0  # and the inputs they read
        self.hints: dict[str, list] = {}  # unknown reference -> its "did you mean" (computed once)
        self.plans: dict = {}  # id(entry) -> its Plan (literal attributes, normalised once) or None
        self.generated_names: dict = {}  # id(layer list) -> {generated name: index} of its unnamed entries
        self.dims: dict[tuple, dict] = {}  # shape -> its in_* variables (read-only, shared)
        # Block calls: (block, args, input shape, call chain) -> the layers one clean call made, to
        # replay (see Calling). `failures` counts skipped instances; `reach` is the shallowest
        # scope level a name lookup resolved to since the innermost recording began; `bindings`
        # logs the global names bound while any call is being recorded.
        self.templates: dict = {}
        self.replay_calls = replay  # False: expand every call for real (the tests compare the two)
        self.failures = 0
        self.reach = 1 << 30
        self.bindings: list | None = None
        self.budget = Budget(STEPS_PER_LAYER * limits.max_layers)  # expression evaluation steps (NS216)

    def run(self) -> Graph | None:
        """The whole spec: params, input, then the top-level layers (None when it cannot be built)."""
        data = self.data
        params = self.eval_params()
        if params is None:
            return None
        shape_batch = self.network_input(params)
        if shape_batch is None:
            return None
        shape, batch = shape_batch
        self.graph = Graph(name=str(data.get("name", "")), input=shape, batch=batch,
                           dtype=data.get("dtype", "float32"), params=params, budget=data.get("budget"),
                           lint_ignore=self.lint_ignore())
        top = Scope(prefix="", names={}, history=[INPUT], input_ref=INPUT, parent=None, vars=params,
                    in_vars=None, list_path="layers", declared={}, calls=(), blocks=())
        try:
            self.expand_list(data.get("layers") or [], top)
        except Stop:
            return None
        self.graph.output_ref = top.history[-1]
        return self.graph if self.names_fit() else None

    def lint_ignore(self) -> tuple[str, ...]:
        """The codes of `lint: {ignore: [...]}` (the schema stage reported a wrong shape); NS406 for
        a code netspec does not have, which would silently silence nothing."""
        from ..diagnostics import CODES

        lint = self.data.get("lint")
        ignore = lint.get("ignore") if isinstance(lint, dict) else None
        if not isinstance(ignore, list):
            return ()
        codes = tuple(c for c in ignore if isinstance(c, str))
        for i, code in enumerate(ignore):
            if isinstance(code, str) and code not in CODES and code.upper() not in CODES:
                span = ignore.item_span(i) if isinstance(ignore, PosList) else None
                self.diags.append(Diagnostic("NS406", f"`lint: ignore` names {code!r}, which is no netspec code "
                                             "(see `netspec explain`), so it silences nothing",
                                             path=f"lint.ignore[{i}]").at(span))
        return codes

    def names_fit(self) -> bool:
        """NS217 when the network's names, input names and call chains pass TEXT_PER_LAYER characters
        per allowed layer in all: every report repeats them, so they bound each report's size."""
        layers, limit = self.graph.layers, TEXT_PER_LAYER * self.limits.max_layers
        # Names are at most MAX_NAME long and call chains at most --max-call-depth: most networks
        # are far below the limit without counting.
        most = len(layers) * (MAX_NAME + CALL_TEXT * self.limits.max_call_depth) + self.references * MAX_NAME
        if most <= limit:
            return True
        size = 0
        for layer in layers:
            size += len(layer.name) + CALL_TEXT * len(layer.source.calls)
            for r in layer.inputs:
                size += 5 if r < 0 else len(layers[r].name)
            if size > limit:
                src = layer.source
                self.diags.append(Diagnostic(
                    "NS217", f"{_clip(layer.name)}: the expanded network's layer names, input names and block-call chains "
                    f"hold more than {limit:,} characters in all ({TEXT_PER_LAYER} per allowed layer; raise the "
                    "limit with --max-layers)", src.line, src.column, path=src.path))
                return False
        return True

    def network_input(self, params: dict) -> tuple[tuple, int] | None:
        """The input shape and the batch, evaluated (None after a diagnostic)."""
        data = self.data
        inp = data.get("input")
        if not isinstance(inp, dict):
            return None  # the schema stage reported it (as `input` missing, or a misspelt key close to it)
        try:
            dims = [k for k in ("height", "width", "length", "channels") if k in inp]
            shape = tuple(self.normalize("int+", self.evaluate(inp, k, inp[k], params, "input ", "input"),
                                         inp, k, "input ", "input") for k in dims)
            batch = self.normalize("int+", self.evaluate(data, "batch", data.get("batch", 1), params, "", ""),
                                   data, "batch", "", "")
        except Skip:
            return None
        for dim, key in zip(shape, dims):
            if dim > INT64_MAX:
                self.report("NS215", f"input {key} {dim} is larger than 2**63 - 1", inp, key, f"input.{key}")
                return None
        if math.prod(shape) > INT64_MAX:
            self.report("NS215", f"input {'x'.join(map(str, shape))} has more than 2**63 - 1 elements",
                        data, "input", "input")
            return None
        if dims == ["length"]:  # no channels: token ids, for an embedding
            shape = Tokens(shape)
        return shape, batch

    def expand_list(self, entries, scope: Scope) -> None:
        """Every entry of a layer list, in order; a broken entry is a POISON ref for its readers."""
        self.declare_names(entries, scope)
        for index, entry in enumerate(entries):
            path = f"{scope.list_path}[{index}]"
            if not isinstance(entry, PosDict) or not isinstance(entry.get("type"), str) or path in self.bad:
                self.tick(entry, path, entries, index)
                self.failures += 1
                ref_name = entry.get("name") if isinstance(entry, dict) else None
                scope.history.append(POISON)
                if isinstance(ref_name, str):
                    scope.names.setdefault(ref_name, POISON)
                continue
            self.expand_entry(entry, index, path, scope)


def _clip(name: str, n: int = 60) -> str:
    return name if len(name) <= n else f"{name[:n // 2]}…{name[-n // 2:]}"


def bad_entry_paths(diagnostics) -> set[str]:
    """Every prefix of every path the schema stage complained about ('layers[3].kernel' -> 'layers[3]')."""
    out = set()
    for d in diagnostics:
        p = d.path
        out.add(p)
        for i, ch in enumerate(p):
            if ch in ".[":
                out.add(p[:i])
    return out


def expand(data: PosDict, overrides: dict | None = None, limits: Limits = DEFAULT_LIMITS,
           bad_paths: set[str] | frozenset = frozenset()) -> tuple[Graph | None, list[Diagnostic]]:
    """Expand a validated spec into a flat, shape-annotated graph (None when it cannot be built)."""
    expander = Expander(data, overrides, limits, bad_paths)
    graph = expander.run()
    return graph, expander.diags
