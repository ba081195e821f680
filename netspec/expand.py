"""Stage 3, expand: params, expressions, blocks, repeat and when -> one flat graph of layers.

Expansion is shape-aware: expressions may read `in_channels`, `in_height`, ... so each layer's
output shape is inferred (stage 4, `infer.infer_layer`) the moment the layer is appended. Entries
the schema stage already rejected are "poisoned": they and everything reading them are skipped
silently, so one mistake is reported once, and all independent mistakes are still found.

Two things keep it linear and cheap on big specs. An entry's literal attributes are normalised
once, not per instance (`_plan`). And a block call is a function of its block, evaluated
arguments, input shape and call chain, unless its body reads a layer outside the call by name:
the first clean call of each such key is recorded and later ones are replayed (`_Template`),
which gives the same layers, names and sources as expanding them again (tests/test_expand_replay.py).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .expr import ExpressionError, evaluate, is_expression
from .graph import INPUT, Graph, Layer, Source
from .infer import check_arity, infer_layer
from .loader import DEFAULT_LIMITS, Limits, PosDict, PosList
from .ops import REGISTRY, ShapeError
from .ops.base import REQUIRED

POISON = -2  # reference to a tensor whose shape is unknown because of an earlier error
INT64_MAX = 2**63 - 1
COMMON_KEYS = ("type", "name", "inputs", "repeat", "when", "activation", "batchnorm", "bias", "note")
_INSTANCE = re.compile(r"^[A-Za-z0-9_.-]+: ")  # the `stage3.1.dw: ` that starts a layer's message


class _Skip(Exception):
    """This entry cannot be expanded; a diagnostic (if any) was already recorded."""


class _Stop(Exception):
    """A global limit was hit; expansion ends."""


@dataclass(slots=True)
class Scope:
    prefix: str  # "" at top level, "stage3.1." inside that block call
    names: dict  # local names -> ref
    history: list  # refs in expanded order, for -k
    input_ref: int  # the network input (top level) or the block input
    parent: "Scope | None"
    vars: dict  # params, shadowed by block args
    in_vars: dict | None  # the block input's dimensions; None at top level (per layer instead)
    list_path: str  # "layers" or "blocks.<name>.layers"
    declared: dict  # explicit names written in this list -> entry index
    calls: tuple  # block-call sites leading here, outermost first
    blocks: tuple  # names of the blocks being expanded (recursion check)


class Layered(Mapping):
    """`{**base, **top}` without the copy: a few per-instance names over the (maybe large) params.

    Copying every param for every layer instance made a spec with 400,000 params and a
    `repeat: 10000` run for minutes; lookups here cost two dict probes, and iteration is lazy
    (the unknown-name hint of an expression reads only the first names).
    """

    __slots__ = ("top", "base")

    def __init__(self, top: Mapping, base: Mapping) -> None:
        self.top, self.base = top, base

    def __getitem__(self, key):
        if key in self.top:
            return self.top[key]
        return self.base[key]

    def __contains__(self, key) -> bool:
        return key in self.top or key in self.base

    def __iter__(self):
        yield from self.top
        for key in self.base:
            if key not in self.top:
                yield key

    def __len__(self) -> int:
        return len(self.top) + sum(1 for key in self.base if key not in self.top)


def _over(top: Mapping, base: Mapping) -> Mapping:
    """The names of `top` over those of `base`: one merged dict when `base` is a small dict (dict
    lookups are what expressions do most), else a `Layered` view that copies nothing."""
    if type(base) is dict and len(base) <= 64:
        if not top:
            return base
        merged = base.copy()
        merged.update(top)
        return merged
    return Layered(top, base)


def dims_vars(shape) -> dict:
    """The in_* variables of a tensor."""
    if shape is None:
        return {}
    out = {"in_channels": shape[-1]}
    if len(shape) == 3:
        out["in_height"], out["in_width"] = shape[0], shape[1]
    elif len(shape) == 2:
        out["in_length"] = shape[0]
    return out


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


class Expander:
    def __init__(self, data: PosDict, overrides: dict | None = None, limits: Limits = DEFAULT_LIMITS,
                 bad_paths: set[str] | frozenset = frozenset(), replay: bool = True) -> None:
        self.data = data
        self.overrides = overrides or {}
        self.limits = limits
        self.bad = bad_paths
        self.diags: list[Diagnostic] = []
        self.global_names: dict[str, int] = {}
        self.blocks = data.get("blocks") or {}
        self.graph: Graph | None = None
        self.reported: set = set()  # (code, path, span, message without the instance name)
        self.visited = 0  # layer instances gone through, whatever became of them (see tick)
        self.references = 0  # and the inputs they read
        self.hints: dict[str, list] = {}  # unknown reference -> its "did you mean" (computed once)
        self.plans: dict[int, _Plan | None] = {}  # id(entry) -> its literal attributes, normalised once
        self.dims: dict[tuple, dict] = {}  # shape -> its in_* variables (read-only, shared)
        # Block calls: (block, args, input shape, call chain) -> the layers one clean call made, to
        # replay (see expand_call). `failures` counts skipped instances; `reach` is the shallowest
        # scope level a name lookup resolved to since the innermost recording began; `bindings`
        # logs the global names bound while any call is being recorded.
        self.templates: dict = {}
        self.replay_calls = replay  # False: expand every call for real (the tests compare the two)
        self.failures = 0
        self.reach = 1 << 30
        self.bindings: list | None = None

    # --- diagnostics -------------------------------------------------------------------------
    def report(self, code: str, message: str, node, key=None, path: str = "") -> None:
        span = None
        if isinstance(node, PosDict):
            span = node.value_span(key) if key is not None and key in node else node.span
        # One mistake once: the repetitions of a layer (or the calls of a block) that fail the
        # same way at the same node are reported for the first instance only.
        seen = (code, path, span, _INSTANCE.sub("", message, count=1))
        if seen in self.reported:
            return
        self.reported.add(seen)
        self.diags.append(Diagnostic(code, message, path=path).at(span))

    def evaluate(self, node: PosDict, key: str, value, vars: dict, who: str, path: str):
        """Evaluate a field (or each element of a list field); expression errors become NS201."""
        t = type(value)
        if t is int or t is bool or t is float:  # a literal (most fields): nothing to evaluate
            return value
        try:
            if isinstance(value, list):
                return [evaluate(v, vars, self.limits.max_expression_length) for v in value]
            return evaluate(value, vars, self.limits.max_expression_length)
        except ExpressionError as exc:
            self.report("NS201", f"{who}`{key}`: {exc.message}", node, key, f"{path}.{key}")
            raise _Skip from None
        except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError) as exc:
            self.report("NS201", f"{who}`{key}`: cannot evaluate {value!r}: {exc}", node, key, f"{path}.{key}")
            raise _Skip from None

    def normalize(self, kind: str, value, node, key, who, path):
        """Turn an evaluated value into the form ops expect, or report NS211 (NS215 past 2**63 - 1)."""
        t = type(value)
        simple = t is int or t is bool or t is str  # the same few literals recur: memoise (pure, immutable)
        if simple:
            hit = _NORMALIZED.get((kind, t, value), _NORMALIZED)
            if hit is not _NORMALIZED:
                return hit
        try:
            out = _normalize(kind, value)
            if simple:
                if len(_NORMALIZED) >= 4096:
                    _NORMALIZED.clear()
                _NORMALIZED[(kind, t, value)] = out
            return out
        except _TooLarge as exc:
            self.report("NS215", f"{who}`{key}` {exc}", node, key, f"{path}.{key}")
            raise _Skip from None
        except ValueError as exc:
            # NS211 is for what an expression evaluated to; a literal the schema could not judge
            # (.nan, .inf where any number is allowed) is an invalid value, NS104.
            raw = node.get(key) if isinstance(node, dict) else None
            written = is_expression(raw) or (isinstance(raw, list) and any(is_expression(v) for v in raw))
            code = "NS211" if written or raw is None else "NS104"
            self.report(code, f"{who}`{key}` {exc}", node, key, f"{path}.{key}")
            raise _Skip from None

    def tick(self, entry, path: str, entries=None, index: int = 0) -> None:
        """Count one instance gone through: a layer kept, dropped by `when` or failed, or a block call.

        --max-layers bounds this count too, so the work of expansion is bounded even when few
        layers reach the graph (`when: false` under nested repeats, or a failing layer repeated);
        and the input references of all instances are bounded by 10 x --max-layers (an `add` of
        100,000 inputs repeated 10,000 times).
        """
        self.visited += 1
        inputs = entry.get("inputs") if isinstance(entry, PosDict) else None
        self.references += len(inputs) if isinstance(inputs, list) else 1
        limit = self.limits.max_layers
        if self.visited <= limit and self.references <= 10 * limit:
            return
        span = None
        if isinstance(entry, PosDict):
            span = entry.value_span("type") if "type" in entry else entry.span
        elif entries is not None and hasattr(entries, "item_span"):
            span = entries.item_span(index)
        if self.graph is not None and len(self.graph.layers) >= self.limits.max_layers:
            what = f"the expanded network has more than {self.limits.max_layers:,} layers"
        elif self.references > 10 * limit:
            what = (f"the layers of the expanded network read more than {10 * limit:,} inputs in all "
                    "(10 per allowed layer)")
        else:
            what = (f"expansion goes through more than {self.limits.max_layers:,} layer instances (block calls, "
                    "layers dropped by `when` and layers with errors count too)")
        self.diags.append(Diagnostic("NS212", f"{what} (raise the limit with --max-layers)", path=path).at(span))
        raise _Stop

    # --- the whole spec ----------------------------------------------------------------------
    def run(self) -> Graph | None:
        data = self.data
        params = self.eval_params()
        if params is None:
            return None
        try:
            inp = data["input"]
            dims = [k for k in ("height", "width", "length", "channels") if k in inp]
            shape = tuple(self.normalize("int+", self.evaluate(inp, k, inp[k], params, "input ", "input"),
                                         inp, k, "input ", "input") for k in dims)
            batch = self.normalize("int+", self.evaluate(data, "batch", data.get("batch", 1), params, "", ""),
                                   data, "batch", "", "")
        except _Skip:
            return None
        for dim, key in zip(shape, dims):
            if dim > INT64_MAX:
                self.report("NS215", f"input {key} {dim} is larger than 2**63 - 1", inp, key, f"input.{key}")
                return None
        if math.prod(shape) > INT64_MAX:
            self.report("NS215", f"input {'x'.join(map(str, shape))} has more than 2**63 - 1 elements",
                        data, "input", "input")
            return None
        lint = data.get("lint") or {}
        self.graph = Graph(name=str(data.get("name", "")), input=shape, batch=batch,
                           dtype=data.get("dtype", "float32"), params=params, budget=data.get("budget"),
                           lint_ignore=tuple(lint.get("ignore") or ()))
        top = Scope(prefix="", names={}, history=[INPUT], input_ref=INPUT, parent=None, vars=params,
                    in_vars=None, list_path="layers", declared={}, calls=(), blocks=())
        try:
            self.expand_list(data.get("layers") or [], top)
        except _Stop:
            return None
        self.graph.output_ref = top.history[-1]
        return self.graph

    def eval_params(self) -> dict | None:
        spec_params = self.data.get("params") or {}
        for name in self.overrides:
            if name not in spec_params:
                import difflib  # only for a hint on an error

                hint = difflib.get_close_matches(name, list(spec_params), n=1)
                known = ", ".join(spec_params) or "none"
                self.report("NS201", f"--set {name}: the spec has no param `{name}`"
                            + (f" (did you mean `{hint[0]}`?)" if hint else f" (its params: {known})"),
                            self.data, "params" if "params" in self.data else "name", "params")
        out: dict = {}
        ok = True
        for name, raw in spec_params.items():
            raw = self.overrides.get(name, raw)
            try:
                out[name] = value = self.evaluate(spec_params, name, raw, out, "param ", "params")
            except _Skip:
                ok = False
                continue
            # Even an unused param reaches the JSON report (`params_used`): NaN is no JSON, and
            # an integer past 64 bits breaks 64-bit readers.
            if isinstance(value, float) and not math.isfinite(value):
                self.report("NS104", f"param `{name}` is {value!r}; a param is a finite number, true, false, "
                            "a string or null", spec_params, name, f"params.{name}")
                ok = False
            elif type(value) is not bool and isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
                self.report("NS215", f"param `{name}` {_show_number(value)} does not fit in 64 bits "
                            "(-2**63 to 2**63 - 1)", spec_params, name, f"params.{name}")
                ok = False
        return out if ok and not any(d.code == "NS201" for d in self.diags) else None

    # --- lists, entries, calls ---------------------------------------------------------------
    def expand_list(self, entries, scope: Scope) -> None:
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                name = entry["name"]
                if name == "input":
                    self.report("NS207", "`input` is reserved for the network (or block) input; choose "
                                "another name", entry, "name", f"{scope.list_path}[{index}].name")
                elif name in scope.declared:
                    first = entries[scope.declared[name]]
                    line = first.span[0] if isinstance(first, PosDict) and first.span else "?"
                    self.report("NS207", f"duplicate layer name `{name}` (first used at line {line})",
                                entry, "name", f"{scope.list_path}[{index}].name")
                else:
                    scope.declared[name] = index
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

    def expand_entry(self, entry: PosDict, index: int, path: str, scope: Scope) -> None:
        type_ = entry["type"]
        base = entry.get("name") if isinstance(entry.get("name"), str) else f"{type_}_{index}"
        who = f"{scope.prefix}{base}: "
        repeat, has_repeat = 1, "repeat" in entry
        try:
            if has_repeat:
                vars = _over(scope.in_vars or {}, scope.vars)
                repeat = self.normalize("int+", self.evaluate(entry, "repeat", entry["repeat"], vars, who, path),
                                        entry, "repeat", who, path)
                if repeat > self.limits.max_repeat:
                    self.report("NS213", f"{who}repeat {repeat:,} is over the limit of {self.limits.max_repeat:,} "
                                "(raise it with --max-repeat)", entry, "repeat", f"{path}.repeat")
                    raise _Skip
        except _Skip:
            self.tick(entry, path)
            self.failures += 1
            scope.history.append(POISON)
            scope.names[base] = POISON
            return
        ref = POISON
        for r in range(repeat):
            self.tick(entry, path)
            inst = f"{base}.{r}" if has_repeat else base
            vars = _over({"i": r}, scope.vars) if has_repeat else scope.vars
            try:
                ref = self.expand_instance(entry, path, scope, inst, vars)
            except _Skip:
                self.failures += 1
                ref = POISON
            scope.history.append(ref)
            self.bind(scope, inst, ref)
        if has_repeat:
            self.bind(scope, base, ref)

    def bind(self, scope: Scope, name: str, ref: int) -> None:
        scope.names[name] = ref
        self.global_names[scope.prefix + name] = ref
        if self.bindings is not None:
            self.bindings.append((scope.prefix + name, ref))

    def resolve_inputs(self, entry: PosDict, path: str, scope: Scope, who: str) -> list[int]:
        if "inputs" not in entry:
            return [scope.history[-1]]
        raw = entry["inputs"]
        items = raw if isinstance(raw, list) else [raw]
        refs = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                raise _Skip  # the schema stage reported it
            if isinstance(item, int):
                if item >= 0 or -item > len(scope.history):
                    where = "the block input" if scope.parent else "the network input"
                    self.report("NS202", f"{who}`inputs: {item}` counts back past {where} "
                                f"(only {len(scope.history) - 1} layers precede it)", entry, "inputs",
                                f"{path}.inputs")
                    raise _Skip
                refs.append(scope.history[item])
            else:
                refs.append(self.lookup(item, entry, path, scope, who))
        return refs

    def lookup(self, name: str, entry, path: str, scope: Scope, who: str) -> int:
        if name == "input":
            return scope.input_ref
        s = scope
        while s is not None:
            if name in s.names:
                if len(s.blocks) < self.reach:
                    self.reach = len(s.blocks)
                return s.names[name]
            s = s.parent
        if name in self.global_names:
            self.reach = -1
            return self.global_names[name]
        if name in scope.declared or (entry.get("name") == name):
            what = "itself" if entry.get("name") == name else "a layer defined later"
            self.report("NS209", f"{who}`inputs` refers to `{name}`, {what}; a layer can only read "
                        "layers written before it", entry, "inputs", f"{path}.inputs")
            raise _Skip
        # The hint looks at the first 1,000 names only: this runs for every failing instance, and
        # matching each against all names made a repeated bad reference quadratic (minutes).
        hint = self.hints.get(name)
        if hint is None:
            known = list(itertools.islice(itertools.chain((k for s in _chain(scope) for k in s.names),
                                                          self.global_names), 1000))
            import difflib  # only for a hint on an error

            hint = self.hints[name] = difflib.get_close_matches(name, known, n=1)
        self.report("NS202", f"{who}`inputs` names `{name}`, which is no layer in scope"
                    + (f" (did you mean `{hint[0]}`?)" if hint else ""), entry, "inputs", f"{path}.inputs")
        raise _Skip

    def expand_instance(self, entry: PosDict, path: str, scope: Scope, inst: str, vars: dict) -> int:
        who = f"{scope.prefix}{inst}: "
        refs = self.resolve_inputs(entry, path, scope, who)
        if POISON in refs:
            raise _Skip
        layers, network_input = self.graph.layers, self.graph.input
        shapes = [network_input if r == INPUT else layers[r].output for r in refs]
        if None in shapes:
            raise _Skip
        in_vars = scope.in_vars
        if in_vars is None:  # top level: the layer's own first input (the same few shapes recur)
            in_vars = self.dims.get(shapes[0])
            if in_vars is None:
                in_vars = self.dims[shapes[0]] = dims_vars(shapes[0])
        vars = _over(in_vars, vars)
        if "when" in entry:
            keep = self.evaluate(entry, "when", entry["when"], vars, who, path)
            if not isinstance(keep, bool):
                self.report("NS211", f"{who}`when` must be true or false, got {keep!r}", entry, "when",
                            f"{path}.when")
                raise _Skip
            if not keep:
                return refs[0]
        type_ = entry["type"]
        if type_ in self.blocks and type_ not in REGISTRY:
            return self.expand_call(entry, path, scope, inst, vars, refs)
        op = REGISTRY.get(type_)
        if op is None:
            self.report("NS105", f"{who}unknown layer type `{type_}`", entry, "type", f"{path}.type")
            raise _Skip
        if scope.parent is None and "repeat" not in entry:
            plan = None  # an entry expanded once: planning would only add work
        else:
            plan = self.plans.get(id(entry), _NO_PLAN)
            if plan is _NO_PLAN:
                plan = self.plans[id(entry)] = _plan(entry, op)
        if plan is not None:  # literals normalised once per entry; only expressions per instance
            attrs = plan.attrs.copy()
            for name, kind in plan.dynamic:
                value = self.evaluate(entry, name, entry[name], vars, who, path)
                attrs[name] = self.normalize(kind, value, entry, name, who, path)
            fused = plan.fused
        else:
            attrs, fused = self.attributes(entry, op, vars, who, path)
        if len(self.graph.layers) >= self.limits.max_layers:
            self.report("NS212", f"the expanded network has more than {self.limits.max_layers:,} layers "
                        "(raise the limit with --max-layers)", entry, "type", path)
            raise _Stop
        layer = Layer(name=scope.prefix + inst, type=type_, attrs=attrs, inputs=refs,
                      source=Source(entry.span[0], entry.span[1], path, scope.calls) if entry.span
                      else Source(0, 0, path, scope.calls),
                      node=entry, fused=fused, note=entry.get("note"))
        try:
            check_arity(op, len(refs))
            layer.output = infer_layer(op, attrs, shapes)
        except ShapeError as exc:
            key = exc.key if exc.key in entry else None
            self.report(exc.code, f"{who}{exc.message}", entry, key, f"{path}.{key}" if key else path)
            raise _Skip from None
        self.graph.layers.append(layer)
        return len(self.graph.layers) - 1

    def attributes(self, entry: PosDict, op, vars, who: str, path: str) -> tuple[dict, tuple]:
        """Every attribute evaluated and normalised (or the entry's first error reported), and the
        fused batchnorm/activation: the general path, for entries `_plan` cannot pre-normalise."""
        type_ = entry["type"]
        attrs = {}
        for attr in op.attrs:
            if attr.name in entry:
                value = self.evaluate(entry, attr.name, entry[attr.name], vars, who, path)
                attrs[attr.name] = self.normalize(attr.kind, value, entry, attr.name, who, path)
            elif attr.default is REQUIRED:
                self.report("NS102", f"{who}{type_} layer is missing `{attr.name}`", entry, "type", path)
                raise _Skip
            else:
                attrs[attr.name] = attr.default
        batchnorm = False
        if "batchnorm" in entry:
            batchnorm = self.normalize("bool", self.evaluate(entry, "batchnorm", entry["batchnorm"], vars, who, path),
                                       entry, "batchnorm", who, path)
        if op.has_bias:
            bias = entry.get("bias", not batchnorm)
            attrs["bias"] = self.normalize("bool", self.evaluate(entry, "bias", bias, vars, who, path),
                                           entry, "bias", who, path)
        return attrs, _fused(batchnorm, entry.get("activation"))

    def expand_call(self, entry: PosDict, path: str, scope: Scope, inst: str, vars: dict, refs: list[int]) -> int:
        name = entry["type"]
        who = f"{scope.prefix}{inst}: "
        if name in scope.blocks:
            chain = " -> ".join((*scope.blocks[scope.blocks.index(name):], name))
            self.report("NS208", f"{who}block `{name}` calls itself ({chain})", entry, "type", f"{path}.type")
            raise _Skip
        if len(scope.blocks) >= self.limits.max_call_depth:
            self.report("NS214", f"{who}blocks are nested more than {self.limits.max_call_depth} calls deep "
                        "(raise the limit with --max-call-depth)", entry, "type", f"{path}.type")
            raise _Skip
        if f"blocks.{name}" in self.bad:
            raise _Skip
        block = self.blocks[name]
        declared = block.get("args") or {}
        args = {}
        for arg, default in declared.items():
            if arg in entry:
                args[arg] = self.evaluate(entry, arg, entry[arg], vars, who, path)
            elif default is None:
                self.report("NS102", f"{who}block `{name}` needs the argument `{arg}`", entry, "type", path)
                raise _Skip
            else:
                args[arg] = self.evaluate(declared, arg, default, self.graph.params, f"block {name} ", f"blocks.{name}.args")
        for key in entry:
            if key not in COMMON_KEYS and key not in declared:
                self.report("NS101", f"{who}block `{name}` has no argument `{key}`", entry, key, f"{path}.{key}")
                raise _Skip
        prefix = f"{scope.prefix}{inst}."
        calls = (*scope.calls, (entry.span[0], entry.span[1], path) if entry.span else (0, 0, path))
        key = _call_key(name, args, self.graph.shape_of(refs[0]), scope.blocks)
        template = self.templates.get(key) if key is not None and self.replay_calls else None
        if type(template) is tuple:  # recorded, never replayed yet: build the template now
            template = self.templates[key] = _Template.record(self.graph.layers, *template) or False
        if template:
            out = self.replay(template, prefix, calls, refs[0])
            if out is not None:
                return out
        body = Scope(prefix=prefix, names={}, history=[refs[0]], input_ref=refs[0],
                     parent=scope, vars=_over(args, self.graph.params),
                     in_vars=dims_vars(self.graph.shape_of(refs[0])), list_path=f"blocks.{name}.layers",
                     declared={}, calls=calls, blocks=(*scope.blocks, name))
        if key is None:
            self.expand_list(block.get("layers") or [], body)
            return body.history[-1]
        # Record: the body is a function of the key alone unless it failed or read a name from
        # outside the call (reach above the body's level), so a clean call can be replayed.
        start, failures, visited, references = len(self.graph.layers), self.failures, self.visited, self.references
        outer_reach, self.reach = self.reach, 1 << 30
        log = self.bindings
        if log is None:
            self.bindings = []
        mark = len(self.bindings)
        try:
            self.expand_list(block.get("layers") or [], body)
        finally:
            reach, self.reach = self.reach, min(outer_reach, self.reach)
            bound = self.bindings[mark:]
            if log is None:
                self.bindings = None
        if self.failures == failures and reach >= len(body.blocks) and key not in self.templates:
            # Only where the call's layers are: most keys never recur, so the template itself is
            # built from them at the first replay.
            self.templates[key] = (start, len(self.graph.layers), refs[0], body.history[-1], bound, len(prefix),
                                   len(calls), self.visited - visited, self.references - references)
        return body.history[-1]

    def replay(self, t: "_Template", prefix: str, calls: tuple, input_ref: int) -> int | None:
        """Append a recorded call's layers under a new prefix and input and return its output ref;
        None (nothing done) when a limit would be passed: the caller then expands for real and
        reports it where it happens."""
        layers = self.graph.layers
        limit = self.limits.max_layers
        if self.visited + t.visited > limit or self.references + t.references > 10 * limit:
            return None  # (every layer was a visited instance: this bounds the layer count too)
        self.visited += t.visited
        self.references += t.references
        start = len(layers)

        def ref(rel: int) -> int:
            return input_ref if rel is None else start + rel

        for name, type_, attrs, inputs, line, column, path, inner, node, fused, note, output in t.layers:
            layers.append(Layer(prefix + name, type_, attrs.copy(), [input_ref if r is None else start + r for r in inputs],
                                Source(line, column, path, calls + inner if inner else calls), node, output, fused, note))
        names = self.global_names
        log = self.bindings
        for name, rel in t.bindings:
            names[prefix + name] = r = ref(rel)
            if log is not None:
                log.append((prefix + name, r))
        return ref(t.output)


def _freeze(value):
    """A hashable, type-exact stand-in for an evaluated block argument (1, 1.0 and True differ)."""
    if isinstance(value, list):
        return (list, tuple(_freeze(v) for v in value))
    hash(value)
    return (type(value), value)


def _call_key(name: str, args: dict, shape, blocks: tuple):
    """What a block call's expansion depends on (params and limits are fixed for a run), or None."""
    try:
        return (name, tuple((k, _freeze(v)) for k, v in args.items()), shape, blocks)
    except TypeError:
        return None


@dataclass(slots=True)
class _Template:
    """The layers, global names and instance counts of one clean block call, relative to it:
    names without the call's prefix, refs as offsets from its first layer (None: its input)."""

    layers: list
    bindings: list
    output: int | None
    visited: int
    references: int

    @classmethod
    def record(cls, layers: list, start: int, end: int, input_ref: int, output: int, bound: list, cut: int,
               ncalls: int, visited: int, references: int) -> "_Template | None":
        """The template of the call that made layers[start:end], or None if any ref leads outside
        the call (then it cannot be replayed)."""

        def rel(ref: int):
            if ref == input_ref:
                return None
            if ref < start:
                raise _Outside
            return ref - start

        try:
            rows = []
            for layer in layers[start:end]:
                src = layer.source
                rows.append((layer.name[cut:], layer.type, layer.attrs, tuple(rel(r) for r in layer.inputs), src.line,
                             src.column, src.path, src.calls[ncalls:], layer.node, layer.fused, layer.note,
                             layer.output))
            return cls(rows, [(n[cut:], rel(r)) for n, r in bound], rel(output), visited, references)
        except _Outside:
            return None


class _Outside(Exception):
    """A recorded call's layer or name refers to something before the call (not its input)."""


_NO_PLAN = object()
_LITERALS = (int, float, bool)


@dataclass(slots=True)
class _Plan:
    """What an entry's instances share: the op's attributes that are literals, already normalised
    (in the op's order, with None where an expression goes), the (name, kind) of each expression
    attribute, and the fused batchnorm/activation."""

    attrs: dict
    dynamic: tuple
    fused: tuple


def _is_literal(value) -> bool:
    t = type(value)
    if t in _LITERALS:
        return True
    if t is str:
        return not (value.startswith("${") and value.endswith("}"))
    return t is PosList and all(type(v) in _LITERALS for v in value)


def _plan(entry: PosDict, op) -> _Plan | None:
    """The entry's plan, or None when anything about it needs the general path (an expression in
    `batchnorm`/`bias`, a missing or invalid literal: the general path reports those)."""
    attrs, dynamic = {}, []
    for attr in op.attrs:
        name = attr.name
        if name in entry:
            raw = entry[name]
            if not _is_literal(raw):
                attrs[name] = None
                dynamic.append((name, attr.kind))
                continue
            try:
                attrs[name] = _normalize(attr.kind, raw)
            except ValueError:
                return None
        elif attr.default is REQUIRED:
            return None
        else:
            attrs[name] = attr.default
    batchnorm = entry.get("batchnorm", False)
    if type(batchnorm) is not bool:
        return None
    if op.has_bias:
        bias = entry.get("bias", not batchnorm)
        if type(bias) is not bool:
            return None
        attrs["bias"] = bias
    return _Plan(attrs, tuple(dynamic), _fused(batchnorm, entry.get("activation")))


def _fused(batchnorm: bool, activation) -> tuple:
    """What a layer applies to its output as it writes it, in order: ("batchnorm", "relu6")."""
    return (("batchnorm",) if batchnorm else ()) + ((activation,) if activation else ())


def _chain(scope: Scope):
    while scope is not None:
        yield scope
        scope = scope.parent


class _TooLarge(ValueError):
    """A count beyond 2**63 - 1: NS215, not NS211."""


def _show_number(value) -> str:
    """A number for a message: floats as written by repr (1e+308), huge integers shortened."""
    text = repr(value) if isinstance(value, float) else str(value)
    return text if len(text) <= 64 else f"{text[:20]}…{text[-10:]} ({len(text):,} digits)"


def _int(value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a whole number >= {minimum}, got {value!r}")
    shown = value
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"must be a whole number >= {minimum}, got {value!r}")
        value = int(value)
    if value < minimum:
        raise ValueError(f"must be >= {minimum}, got {_show_number(shown)}")
    if value > INT64_MAX:
        raise _TooLarge(f"is larger than 2**63 - 1 ({_show_number(shown)})")
    return value


_NORMALIZED: dict = {}  # (kind, type, literal) -> _normalize(kind, literal), see Expander.normalize


def _normalize(kind: str, value):
    if kind == "int+":
        return _int(value, 1)
    if kind == "int0":
        return _int(value, 0)
    if kind in ("pair+", "pair0"):
        lo = 1 if kind == "pair+" else 0
        if isinstance(value, list):
            if len(value) != 2:
                raise ValueError(f"must be a number or a pair [h, w], got {len(value)} values")
            return (_int(value[0], lo), _int(value[1], lo))
        v = _int(value, lo)
        return (v, v)
    if kind == "padding":
        if value in ("same", "valid"):
            return value
        if isinstance(value, list):
            vals = tuple(_int(v, 0) for v in value)
            if len(vals) == 2:
                return (vals[0], vals[0], vals[1], vals[1])
            if len(vals) == 4:
                return vals
            raise ValueError(f"must be same, valid, a number, [h, w] or [top, bottom, left, right]; got {len(vals)} values")
        v = _int(value, 0)
        return (v, v, v, v)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value
    if kind == "number+":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"must be a number > 0, got {value!r}")
        return value
    if kind == "rate":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"must be a number from 0 to 1, got {value!r}")
        return value
    if kind == "mode":
        if value not in ("nearest", "bilinear"):
            raise ValueError(f"must be nearest or bilinear, got {value!r}")
        return value
    raise ValueError(f"has an unknown attribute kind {kind}")


def expand(data: PosDict, overrides: dict | None = None, limits: Limits = DEFAULT_LIMITS,
           bad_paths: set[str] | frozenset = frozenset()) -> tuple[Graph | None, list[Diagnostic]]:
    """Expand a validated spec into a flat, shape-annotated graph (None when it cannot be built)."""
    expander = Expander(data, overrides, limits, bad_paths)
    graph = expander.run()
    return graph, expander.diags
