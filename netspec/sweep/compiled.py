"""Compile once, evaluate many: a spec's expansion as a straight-line program over its swept params.

A sweep changes a few params; everything else about the spec (its YAML, the schema check, the
names, scopes and references, the literal attributes) is the same at every point. `trace` walks
the validated spec once at a concrete point, as the expand stage would, and records what depends
on the swept params: each expression (with where each of its names comes from), each layer (its
op, its literal attributes already normalised, its inputs) and each decision that shapes the
graph (a `when`, a `repeat` count) as a guard. `Program.run` replays that record for another
point: it evaluates the same expressions with the same evaluator (memoised by their inputs),
normalises with the same rules, infers and costs each layer with the op registry's own rules and
sums them as the cost stage does. Nothing else is re-done.

Exactness rests on two rules. A guard that fails means the graph would be built differently:
the point is traced anew (`Retrace`). Anything unusual at all (an evaluation error, a value that
does not normalise, a shape error, a limit, a total past 64 bits, a key or construct this module
does not know) means the program does not apply (`Fallback`): the caller checks that point with
the whole pipeline, which gives the same numbers or the located diagnostic. The walk mirrors
`expand/` (scopes, names, `-k` inputs, block calls with their own args over the params, `i`,
`in_*`); tests/test_sweep.py holds every point of several zoo specs to `netspec check --set`.
"""

from __future__ import annotations

import math

from ..cost import buffer_lives, live_changes, part_sums
from ..expand.reporting import COMMON_KEYS, INT64_MAX
from ..expand.scopes import dims_vars
from ..expand.values import MAX_LIST, activation_names, fused_activation, fused_parts, normalize_value
from ..expr import evaluate, is_expression, names_used
from ..graph import DTYPE_BYTES, INPUT, Graph, Layer, Source
from ..infer import check_arity, infer_layer
from ..loader import PosDict
from ..ops import REGISTRY
from ..ops.base import REQUIRED
from ..rows import Totals, row

TOP_KEYS = {"netspec", "name", "description", "input", "batch", "dtype", "params", "blocks", "layers", "budget", "lint"}
INPUT_KEYS = ("height", "width", "length", "channels")
BLOCK_KEYS = {"args", "layers", "description", "inputs"}
MEMO_SIZE = 4096  # entries kept per expression; a full memo is cleared, never grown


class Fallback(Exception):
    """This point (or this spec) needs the whole pipeline."""


class Retrace(Exception):
    """A guard failed: at this point the graph is built differently; trace it again."""


# Value sources, as recorded: ("k", value) a constant, ("v", slot) a value computed per point,
# ("d", ref, index, rank) a dimension of a layer's output (ref INPUT: the network input).
def const(value) -> tuple:
    return ("k", value)


class Program:
    """One traced structure of a spec, compiled into two Python functions of the swept values: one
    returns the totals (peak memory included), the other a Graph with shapes and attributes (for a
    latency estimate and per-layer budgets, which need the layers).

    The functions are generated from the traced steps as straight-line code: a local per value
    and per shape, every constant (op, normalised literals, expression text) passed in by name,
    never written into the source. Expressions and layers are memoised by their inputs (a layer
    by its input shapes and non-literal attributes), which the op's rules are pure functions of.
    """

    def __init__(self, names: tuple[str, ...], steps: list, layers: list, lives: list, batch,
                 dtype: str, header: dict) -> None:
        self.names = names  # the swept params, in the order point values come
        self.layers = layers  # per layer: (name, type, source, note) for a full graph
        self.lives = lives  # cost.buffer_lives of the traced graph
        self.nbytes = DTYPE_BYTES[dtype]
        self.header = header  # name, dtype, budget, lint_ignore, output_ref
        self._totals = _generate(steps, batch, full=False, program=self)
        self._graph = _generate(steps, batch, full=True, program=self)

    def run(self, values: tuple, full: bool = False):
        """Totals (or, `full`, a Graph with shapes) at this point; Retrace or Fallback."""
        try:
            return (self._graph if full else self._totals)(values)
        except (Retrace, Fallback):
            raise
        except Exception:  # ExpressionError, ShapeError, ValueError, ...: the pipeline says what
            raise Fallback from None

    def totals(self, sums: tuple, shapes: list, batch: int) -> Totals:
        """Totals from the per-sample sums and every layer's output shape (the input's last)."""
        nbytes = self.nbytes
        totals = row(Totals, "total", *sums, batch, nbytes)
        per = batch * nbytes
        n = len(self.layers)
        sizes = [math.prod(shapes[owner]) * per for owner, _ in self.lives]  # shapes[n]: the input
        live, peak = 0, -1
        for d in live_changes(n, self.lives, sizes)[:-1]:
            live += d
            if live > peak:
                peak = live
        totals.peak_activation_memory = max(peak, 0)
        if max(totals.params, totals.maccs, totals.flops, totals.memory_accesses, totals.compulsory_bytes,
               totals.peak_activation_memory) > INT64_MAX:
            raise Fallback  # NS215: the pipeline reports where
        return totals

    def graph(self, shape, batch, layers) -> Graph:
        h = self.header
        return Graph(h["name"], shape, batch, h["dtype"], {}, layers, h["budget"], h["lint_ignore"], h["output_ref"])


# Normalised kinds whose value type is fixed (int, a tuple of ints, a string, a bool): memo keys
# need no type beside them. Other kinds (numbers) keep 1 and 1.0 apart.
_TYPED_KINDS = {"int+", "int0", "pair+", "pair0", "padding", "bool"}


def _generate(steps: list, batch_src: tuple, full: bool, program: "Program"):
    """The point function of a program, as Python source compiled once."""
    ns: dict = {"Fallback": Fallback, "Retrace": Retrace, "evaluate": evaluate, "normalize": normalize_value,
                "is_expression": is_expression, "check_param": _check_param, "infer": infer_layer,
                "part_sums": part_sums, "Layer": Layer, "program": program, "INT64_MAX": INT64_MAX}
    consts: list = []

    def k(value) -> str:
        consts.append(value)
        return f"K[{len(consts) - 1}]"

    def ref(src: tuple) -> str:
        if src[0] == "k":
            return k(src[1])
        if src[0] == "v":
            return f"v{src[1]}"
        return f"{shape_name(src[1])}[{src[2]}]"

    def shape_name(r: int) -> str:
        return "s_in" if r == INPUT else f"s{r}"

    lines = ["def point(values):"]
    add = lines.append
    if not full:
        add("    tp = tm = tf = ti = to = ta = 0")
    else:
        add("    layers = []")
    ranks: dict = {}  # shape -> the rank its in_* reads were traced at (checked once per shape)

    def rank_checks(sources) -> None:
        for src in sources:
            if src[0] == "d" and ranks.get(src[1]) is None:
                ranks[src[1]] = src[3]
                add(f"    if len({shape_name(src[1])}) != {src[3]}: raise Fallback")

    for step in steps:
        kind = step[0]
        if kind == "param":
            _, slot, index = step
            add(f"    v{slot} = values[{index}]")
            add(f"    if type(v{slot}) is str and is_expression(v{slot}): raise Fallback")
        elif kind == "check_param":
            add(f"    check_param({ref(step[1])})")
        elif kind == "expr":
            _, slot, text, names, sources, constants, memo, max_length = step
            rank_checks(sources)
            args = [ref(src) for src in sources]
            key = "(" + "".join(f"{a}, type({a}), " for a in args) + ")"
            m = k(memo)
            add(f"    key = {key}")
            add(f"    v{slot} = {m}.get(key, {m})")
            add(f"    if v{slot} is {m}:")
            scope = "{" + "".join(f"{n!r}: {a}, " for n, a in zip(names, args)) + "}"
            add(f"        scope = {k(constants)}.copy(); scope.update({scope})")
            add(f"        v{slot} = evaluate({k(text)}, scope, {max_length})")
            add(f"        if len({m}) >= {MEMO_SIZE}: {m}.clear()")
            add(f"        {m}[key] = v{slot}")
        elif kind == "norm":
            _, slot, norm_kind, src = step
            rank_checks([src])
            add(f"    v{slot} = normalize({k(norm_kind)}, {ref(src)})")
        elif kind == "guard":
            _, src, expected = step
            rank_checks([src])
            value = ref(src)
            add(f"    if type({value}) is not {k(type(expected))} or {value} != {k(expected)}: raise Retrace")
        elif kind == "input":
            add(f"    s_in = ({''.join(ref(src) + ', ' for src in step[1])})")
            add("    if _prod(s_in) > INT64_MAX: raise Fallback")
        elif kind == "layer":
            _, index, op, static, dynamic, refs, fused = step
            ins = "[" + ", ".join(shape_name(r) for r in refs) + "]"
            out = shape_name(index)
            attrs = k(static)
            if dynamic:
                add(f"    a = {attrs}.copy()")
                add("    " + "; ".join(f"a[{n!r}] = v{src[1]}" for n, src in dynamic))
                attrs = "a"
            if full:
                add(f"    {out} = infer({k(op)}, {attrs}, {ins})")
                add(f"    layers.append(Layer(*{k(program.layers[index][:2])}, {attrs}, {k(list(refs))}.copy(), "
                    f"{k(program.layers[index][2])}, None, {out}, {k(fused)}, {k(program.layers[index][3])}))")
                continue
            memo = k({})
            key = "(" + "".join(shape_name(r) + ", " for r in refs)
            key += "".join(f"v{src[1]}, " + ("" if _kind_of(op, n) in _TYPED_KINDS else f"type(v{src[1]}), ")
                           for n, src in dynamic) + ")"
            add(f"    key = {key}")
            add(f"    h = {memo}.get(key)")
            add("    if h is None:")
            add(f"        o = infer({k(op)}, {attrs}, {ins})")
            add(f"        h = (o, *part_sums({k(op)}.cost({attrs}, {ins}, o), {k(fused)}, o))")
            add(f"        if len({memo}) >= {MEMO_SIZE}: {memo}.clear()")
            add(f"        {memo}[key] = h")
            add(f"    {out}, p, m, f, i, o, x = h")
            add("    tp += p; tm += m; tf += f; ti += i; to += o; ta += x")
    add(f"    batch = {ref(batch_src)}")
    n = len(program.layers)
    if full:
        add("    return program.graph(s_in, batch, layers)")
    else:
        shapes = "[" + "".join(f"s{j}, " for j in range(n)) + "s_in]"
        add(f"    return program.totals((tp, tm, tf, ti, to, ta), {shapes}, batch)")
    ns["K"] = consts
    ns["_prod"] = math.prod
    exec(compile("\n".join(lines) + "\n", "<netspec sweep program>", "exec"), ns)  # noqa: S102 (our own source)
    return ns["point"]


def _kind_of(op, name: str):
    if name == "bias":
        return "bool"
    return next(a.kind for a in op.attrs if a.name == name)


def _check_param(value) -> None:
    """What the expand stage refuses in a param's value (NS104, NS215)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise Fallback
    if type(value) is not bool and isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise Fallback


class _Scope:
    """As expand.scopes.Scope: one layer list being walked."""

    __slots__ = ("prefix", "names", "history", "input_ref", "parent", "vars", "in_ref", "calls", "blocks", "path")

    def __init__(self, prefix, names, history, input_ref, parent, vars, in_ref, calls, blocks, path):
        self.prefix, self.names, self.history, self.input_ref, self.parent = prefix, names, history, input_ref, parent
        self.vars, self.in_ref, self.calls, self.blocks, self.path = vars, in_ref, calls, blocks, path


def trace(data: PosDict, static: dict, names: tuple[str, ...], values: tuple, limits) -> Program:
    """The program of `data` (a validated spec) for the swept `names`, traced at `values`, with the
    non-swept overrides `static`. Raises Fallback when this point (or this spec) has to go through
    the pipeline."""
    try:
        return _Tracer(data, static, names, values, limits).run()
    except (Fallback, RecursionError):
        raise Fallback from None
    except Exception:  # an evaluation or shape error at this very point: the pipeline reports it
        raise Fallback from None


class _Values:
    """The tracer's values: each (concrete value, source); an expression over a name computed per
    point becomes an "expr" step, one over constants is folded now."""

    def slot(self) -> int:
        self.nslots += 1
        return self.nslots - 1

    def value(self, raw, vars: dict) -> tuple[object, tuple]:
        """(concrete value, source) of a field written `raw`, names from `vars` (name -> (value, source))."""
        if isinstance(raw, list):
            # a literal list param or block argument (format 1.1) is a constant; with expressions
            # in it, nested, or past the size limit: the general path
            if len(raw) > MAX_LIST or any(isinstance(v, (list, dict)) or is_expression(v) for v in raw):
                raise Fallback
            value = list(raw)
            return value, const(value)
        if not is_expression(raw):
            if isinstance(raw, (dict, list)):
                raise Fallback
            return raw, const(raw)
        used = names_used(raw)
        env = {}
        for n in sorted(used):
            if n not in vars:
                raise Fallback  # unknown name: the pipeline reports NS201
            env[n] = vars[n]
        concrete = evaluate(raw, {n: v for n, (v, _) in env.items()}, self.limits.max_expression_length)
        if all(src[0] == "k" for _, src in env.values()):
            return concrete, const(concrete)
        slot = self.slot()
        dynamic = [(n, src) for n, (_, src) in env.items() if src[0] != "k"]
        constants = {n: v for n, (v, src) in env.items() if src[0] == "k"}
        self.steps.append(("expr", slot, str(raw), tuple(n for n, _ in dynamic), tuple(src for _, src in dynamic),
                           constants, {}, self.limits.max_expression_length))
        return concrete, ("v", slot)

    def normalized(self, kind, raw, vars: dict) -> tuple[object, tuple]:
        if isinstance(raw, list) and not any(is_expression(v) for v in raw):
            concrete = normalize_value(kind, raw)  # a literal list (a pair, a padding)
            return concrete, const(concrete)
        concrete, src = self.value(raw, vars)
        out = normalize_value(kind, concrete)
        if src[0] == "k":
            return out, const(out)
        slot = self.slot()
        self.steps.append(("norm", slot, kind, src))
        return out, ("v", slot)

    def guard(self, concrete, src) -> None:
        if src[0] != "k":
            self.steps.append(("guard", src, concrete))

    # -- the spec -----------------------------------------------------------------------------



class _Names:
    """The tracer's names and references, as expand.scopes resolves them, and the instance limits."""

    def bind(self, scope: _Scope, name: str, ref: int) -> None:
        scope.names[name] = ref
        self.global_names[scope.prefix + name] = ref

    def tick(self, entry) -> None:
        self.visited += 1
        inputs = entry.get("inputs")
        self.references += len(inputs) if isinstance(inputs, list) else 1
        if self.visited > self.limits.max_layers or self.references > 10 * self.limits.max_layers:
            raise Fallback

    def dims(self, ref: int) -> dict:
        """The in_* variables of a layer's output, as sources that read its shape at each point."""
        shape = self.shapes[ref]
        rank = len(shape)
        return {n: (v, ("d", ref, _dim_index(n, rank), rank)) for n, v in dims_vars(shape).items()}

    def inputs_of(self, entry: PosDict, scope: _Scope, declared: set) -> list[int]:
        if "inputs" not in entry:
            return [scope.history[-1]]
        raw = entry["inputs"]
        refs = []
        for item in raw if isinstance(raw, list) else [raw]:
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                raise Fallback
            if isinstance(item, int):
                if item >= 0 or -item > len(scope.history):
                    raise Fallback
                refs.append(scope.history[item])
            else:
                refs.append(self.lookup(item, scope))
        return refs

    def lookup(self, name: str, scope: _Scope) -> int:
        if name == "input":
            return scope.input_ref
        s = scope
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        if name in self.global_names:
            return self.global_names[name]
        raise Fallback  # NS202 / NS209



class _Parts:
    """The tracer's params and layers: what a point's values flow into."""

    def params(self) -> dict:
        """name -> (value, source): the spec's params in order, the swept ones read from the point."""
        spec_params = self.data.get("params") or {}
        if any(n not in spec_params for n in (*self.names, *self.static)):
            raise Fallback  # NS201 --set of an unknown param
        out: dict = {}
        for name, raw in spec_params.items():
            if name in self.names:
                k = self.names.index(name)
                slot = self.slot()
                self.steps.append(("param", slot, k))
                value, src = self.values[k], ("v", slot)
                if isinstance(value, str) and is_expression(value):
                    raise Fallback  # a swept expression: evaluated by the pipeline
            else:
                value, src = self.value(self.static.get(name, raw), out)
            _check_param(value)
            if src[0] != "k":
                self.steps.append(("check_param", src))
            out[name] = (value, src)
        return out

    def layer(self, entry: PosDict, scope: _Scope, inst: str, op, vars: dict, refs: list[int], path: str) -> int:
        allowed = {a.name for a in op.attrs}
        if any(k not in COMMON_KEYS and k not in allowed for k in entry):
            raise Fallback
        activation = fused_activation(entry, op)
        if is_expression(activation):  # format 1.1: `activation: "${act}"`, a guard when it is swept
            activation, src = self.value(activation, vars)
            if activation is not None and activation not in activation_names():
                raise Fallback  # NS104: the pipeline reports it
            self.guard(activation, src)
        elif activation is not None and not isinstance(activation, str):
            raise Fallback
        static, dynamic, concrete = {}, [], {}
        for attr in op.attrs:
            if attr.name in entry:
                value, src = self.normalized(attr.kind, entry[attr.name], vars)
            elif attr.default is REQUIRED:
                raise Fallback  # NS102
            else:
                value, src = attr.default, const(attr.default)
            concrete[attr.name] = value
            if src[0] == "k":
                static[attr.name] = value
            else:
                dynamic.append((attr.name, src))
        batchnorm = False
        if "batchnorm" in entry:
            batchnorm, src = self.normalized("bool", entry["batchnorm"], vars)
            self.guard(batchnorm, src)
        if op.has_bias:
            bias, src = self.normalized("bool", entry.get("bias", not batchnorm), vars)
            concrete["bias"] = bias
            if src[0] == "k":
                static["bias"] = bias
            else:
                dynamic.append(("bias", src))
        fused = fused_parts(batchnorm, activation)
        if len(self.layers) >= self.limits.max_layers:
            raise Fallback
        if any(concrete.get(name) is not None for name in op.references):
            raise Fallback  # an attribute naming another layer (a dense `tie:`): expansion resolves it
        check_arity(op, len(refs))
        index = len(self.layers)
        shapes = [self.shapes[r] for r in refs]
        self.shapes[index] = infer_layer(op, concrete, shapes)
        if op.special_costs and any(c.gathered or c.tied or c.kv_cache or c.scratch
                                    for _, c in op.cost(concrete, shapes, self.shapes[index])):
            raise Fallback  # an embedding's rows, a KV cache, attention's intermediates: the cost stage's rules
        source = Source(entry.span[0], entry.span[1], path, scope.calls) if entry.span else Source(0, 0, path, scope.calls)
        self.layers.append((scope.prefix + inst, entry["type"], source, entry.get("note")))
        self.inputs.append(list(refs))
        self.steps.append(("layer", index, op, static, tuple(dynamic), tuple(refs), fused))
        return index


def _dim_index(name: str, rank: int) -> int:
    return {"in_channels": rank - 1, "in_height": 0, "in_width": 1, "in_length": 0}[name]



class _Tracer(_Values, _Names, _Parts):
    """The walk of the expand stage, recording steps instead of building only a graph."""

    def __init__(self, data, static, names, values, limits) -> None:
        self.data, self.static, self.names, self.values, self.limits = data, static, names, values, limits
        self.steps: list = []
        self.nslots = 0
        self.layers: list = []  # (name, type, source, note)
        self.shapes: dict = {}  # ref -> concrete output shape
        self.inputs: list = []  # per layer: its refs (for liveness)
        self.global_names: dict = {}
        self.blocks = data.get("blocks") or {}
        self.visited = self.references = 0


    def run(self) -> Program:
        data = self.data
        if any(k not in TOP_KEYS for k in data):
            raise Fallback
        params = self.root = self.params()
        inp = data.get("input")
        if not isinstance(inp, dict) or any(k not in INPUT_KEYS for k in inp):
            raise Fallback
        dims = [self.normalized("int+", inp[k], params) for k in INPUT_KEYS if k in inp]
        shape = tuple(v for v, _ in dims)
        if math.prod(shape) > INT64_MAX:
            raise Fallback
        self.shapes[INPUT] = shape
        self.steps.append(("input", tuple(s for _, s in dims)))
        batch, batch_src = self.normalized("int+", data.get("batch", 1), params)
        dtype = data.get("dtype", "float32")
        if dtype not in DTYPE_BYTES:
            raise Fallback
        top = _Scope("", {}, [INPUT], INPUT, None, params, None, (), (), "layers")
        self.walk(data.get("layers") or [], top)
        lint = data.get("lint") or {}
        output_ref = top.history[-1]
        graph = Graph("", shape, layers=[Layer("", t, {}, refs, None) for (_, t, _, _), refs in
                                         zip(self.layers, self.inputs)], output_ref=output_ref)
        header = {"name": str(data.get("name", "")), "dtype": dtype, "budget": data.get("budget"),
                  "lint_ignore": tuple(lint.get("ignore") or ()), "output_ref": output_ref}
        return Program(self.names, self.steps, self.layers, buffer_lives(graph), batch_src, dtype, header)

    def walk(self, entries, scope: _Scope) -> None:
        declared = set()
        for entry in entries:
            if not isinstance(entry, PosDict) or not isinstance(entry.get("type"), str):
                raise Fallback
            name = entry.get("name")
            if name is not None:
                if not isinstance(name, str) or name == "input" or name in declared:
                    raise Fallback
                declared.add(name)
        for index, entry in enumerate(entries):
            self.entry(entry, index, scope, declared, f"{scope.path}[{index}]")

    def entry(self, entry: PosDict, index: int, scope: _Scope, declared: set, path: str) -> None:
        type_ = entry["type"]
        base = entry.get("name") if isinstance(entry.get("name"), str) else f"{type_}_{index}"
        has_repeat = "repeat" in entry
        repeat = 1
        if has_repeat:
            vars = {**scope.vars, **self.dims(scope.in_ref)} if scope.in_ref is not None else scope.vars
            repeat, src = self.normalized("int+", entry["repeat"], vars)
            self.guard(repeat, src)
            if repeat > self.limits.max_repeat:
                raise Fallback
        ref = None
        for r in range(repeat):
            self.tick(entry)
            inst = f"{base}.{r}" if has_repeat else base
            vars = {**scope.vars, "i": (r, const(r))} if has_repeat else scope.vars
            ref = self.instance(entry, scope, inst, vars, declared, path)
            scope.history.append(ref)
            self.bind(scope, inst, ref)
        if has_repeat:
            self.bind(scope, base, ref)

    def instance(self, entry: PosDict, scope: _Scope, inst: str, vars: dict, declared: set, path: str) -> int:
        refs = self.inputs_of(entry, scope, declared)
        in_ref = scope.in_ref if scope.in_ref is not None else refs[0]
        vars = {**vars, **self.dims(in_ref)}
        if "when" in entry:
            keep, src = self.value(entry["when"], vars)
            if not isinstance(keep, bool):
                raise Fallback  # NS211
            self.guard(keep, src)
            if not keep:
                return refs[0]
        type_ = entry["type"]
        if type_ in self.blocks and type_ not in REGISTRY:
            return self.call(entry, scope, inst, vars, refs, path)
        op = REGISTRY.get(type_)
        if op is None:
            raise Fallback
        return self.layer(entry, scope, inst, op, vars, refs, path)

    def call(self, entry: PosDict, scope: _Scope, inst: str, vars: dict, refs: list[int], path: str) -> int:
        name = entry["type"]
        if name in scope.blocks or len(scope.blocks) >= self.limits.max_call_depth:
            raise Fallback  # NS208 / NS214
        block = self.blocks[name]
        if not isinstance(block, dict) or any(k not in BLOCK_KEYS for k in block):
            raise Fallback
        names = block.get("inputs") or []  # format 1.1: a block naming its inputs
        layer_names = {e.get("name") for e in block.get("layers") or [] if isinstance(e, dict)}
        if (len(refs) != (len(names) or 1) or len(set(names)) < len(names) or "input" in names[1:]
                or layer_names & set(names)):
            raise Fallback  # NS202 / NS104, or a layer shadowing an input: the pipeline's rules
        declared = block.get("args") or {}
        params = self.root
        args = {}
        for arg, default in declared.items():
            if arg in entry:
                args[arg] = self.value(entry[arg], vars)
            elif default is None:
                raise Fallback  # NS102
            else:
                args[arg] = self.value(default, params)
        if any(k not in COMMON_KEYS and k not in declared for k in entry):
            raise Fallback  # NS101
        prefix = f"{scope.prefix}{inst}."
        line, column = entry.span[:2] if entry.span else (0, 0)
        body = _Scope(prefix, dict(zip(names, refs)), [refs[0]], refs[0], scope, {**params, **args}, refs[0],
                      (*scope.calls, (line, column, path, prefix[:-1], name)), (*scope.blocks, name),
                      f"blocks.{name}.layers")
        self.walk(block.get("layers") or [], body)
        return body.history[-1]
