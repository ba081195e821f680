"""Expansion's block calls: inputs, arguments, the call's own scope, and replay of repeated calls.

A block takes exactly one input unless it names its inputs (`inputs: [x, skip]`): then a call
passes exactly that many, and inside the body those names are the call's inputs (`input` is the
first). A block call is a function of its block, evaluated arguments, input shapes and call
chain, unless its body reads a layer outside the call by name. The first clean call of each such key is recorded
(where its layers are in the graph) and later ones are replayed from a `Template`, which gives the
same layers, names and sources as expanding them again (tests/test_expand_replay.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Layer, Source
from ..loader import PosDict
from .reporting import COMMON_KEYS, Skip
from .scopes import Scope, dims_vars, over
from .values import param_problem


class CallChecks:
    """What a block call must get right before its body expands: no recursion or excess depth,
    the block's number of inputs, its arguments. Reads `blocks`, `bad`, `limits`, `graph`."""

    def check_call(self, entry: PosDict, path: str, scope: Scope, name: str, who: str) -> None:
        """Skip a call that recurses (NS208), nests too deep (NS214) or calls a broken block."""
        if name in scope.blocks:
            chain = " -> ".join((*scope.blocks[scope.blocks.index(name):], name))
            self.report("NS208", f"{who}block `{name}` calls itself ({chain})", entry, "type", f"{path}.type")
            raise Skip
        if len(scope.blocks) >= self.limits.max_call_depth:
            self.report("NS214", f"{who}blocks are nested more than {self.limits.max_call_depth} calls deep "
                        "(raise the limit with --max-call-depth)", entry, "type", f"{path}.type")
            raise Skip
        if f"blocks.{name}" in self.bad:
            raise Skip

    def check_inputs(self, entry: PosDict, path: str, name: str, block, refs: list[int], who: str) -> list:
        """The block's input names; NS202 unless the call passes exactly as many inputs (a block
        that names none takes exactly one: more are an error, never silently dropped)."""
        names = block.get("inputs")
        names = list(names) if isinstance(names, list) else []
        if len(set(names)) < len(names) or "input" in names[1:]:
            self.report("NS104", f"block `{name}`: its input names must differ from each other (and `input` can only "
                        f"be the first, which it always is): {', '.join(names)}", block, "inputs",
                        f"blocks.{name}.inputs")
            raise Skip
        want = len(names) or 1
        if len(refs) != want:
            got = f"the call passes {len(refs)}"
            if names:
                message = f"block `{name}` takes {want} input{'s' if want > 1 else ''} ({', '.join(names)}); {got}"
            else:
                message = (f"block `{name}` takes one input; {got} (a block that takes several names them: "
                           f"`inputs: [x, y]` in its definition)")
            key = "inputs" if "inputs" in entry else "type"
            self.report("NS202", who + message, entry, key, f"{path}.{key}")
            raise Skip
        return names

    def call_args(self, entry: PosDict, path: str, name: str, block, vars: dict, who: str) -> dict:
        """The call's evaluated arguments, defaults filled in (NS102 missing, NS101 unknown)."""
        declared = block.get("args") or {}
        args = {}
        for arg, default in declared.items():
            if arg in entry:
                args[arg] = self.evaluate(entry, arg, entry[arg], vars, who, path)
            elif default is None:
                self.report("NS102", f"{who}block `{name}` needs the argument `{arg}`", entry, "type", path)
                raise Skip
            else:
                args[arg] = self.evaluate(declared, arg, default, self.graph.params, f"block {name} ", f"blocks.{name}.args")
            if type(args[arg]) is list:  # as for params: at most MAX_LIST numbers, strings or booleans
                problem = param_problem(args[arg])
                if problem:
                    node, where = (entry, path) if arg in entry else (declared, f"blocks.{name}.args")
                    self.report(problem[0], f"{who}argument `{arg}` {problem[1]}", node, arg, f"{where}.{arg}")
                    raise Skip
        for key in entry:
            if key not in COMMON_KEYS and key not in declared:
                self.report("NS101", f"{who}block `{name}` has no argument `{key}`", entry, key, f"{path}.{key}")
                raise Skip
        return args


class Calling(CallChecks):
    """Block calls. Reads `blocks`, `bad`, `limits`, `graph`, `replay_calls`; reads and writes
    `templates`, `failures`, `reach`, `bindings`, `visited`, `references`, `global_names`."""

    def expand_call(self, entry: PosDict, path: str, scope: Scope, inst: str, vars: dict, refs: list[int]) -> int:
        """Expand (or replay) one call of the block `entry["type"]`; returns the ref of its output."""
        name = entry["type"]
        who = f"{scope.prefix}{inst}: "
        self.check_call(entry, path, scope, name, who)
        block = self.blocks[name]
        names = self.check_inputs(entry, path, name, block, refs, who)
        args = self.call_args(entry, path, name, block, vars, who)
        prefix = f"{scope.prefix}{inst}."
        line, column = entry.span[:2] if entry.span else (0, 0)
        calls = (*scope.calls, (line, column, path, prefix[:-1], name))
        shapes = self.graph.shape_of(refs[0]) if len(refs) == 1 else tuple(map(self.graph.shape_of, refs))
        key = call_key(name, args, shapes, scope.blocks)
        template = self.templates.get(key) if key is not None and self.replay_calls else None
        if type(template) is tuple:  # recorded, never replayed yet: build the template now
            template = self.templates[key] = Template.record(self.graph.layers, *template) or False
        if template:
            out = self.replay(template, prefix, calls, refs)
            if out is not None:
                return out
        body = Scope(prefix=prefix, names=dict(zip(names, refs)), history=[refs[0]], input_ref=refs[0],
                     parent=scope, vars=over(args, self.graph.params),
                     in_vars=dims_vars(self.graph.shape_of(refs[0])), list_path=f"blocks.{name}.layers",
                     declared={}, calls=calls, blocks=(*scope.blocks, name))
        if key is None:
            self.expand_list(block.get("layers") or [], body)
            return body.history[-1]
        return self.record(key, block, body, tuple(refs), len(prefix), len(calls))

    def record(self, key, block, body: Scope, inputs: tuple, cut: int, ncalls: int) -> int:
        """Expand the call's body and, if it was clean, keep where its layers are for replay.

        The body is a function of the key alone unless it failed or read a name from outside the
        call (reach above the body's level), so a clean call can be replayed.
        """
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
            self.templates[key] = (start, len(self.graph.layers), inputs, body.history[-1], bound, cut,
                                   ncalls, self.visited - visited, self.references - references)
        return body.history[-1]

    def replay(self, t: "Template", prefix: str, calls: tuple, ins: list[int]) -> int | None:
        """Append a recorded call's layers under a new prefix and inputs and return its output ref;
        None (nothing done) when a limit would be passed: the caller then expands for real and
        reports it where it happens."""
        layers = self.graph.layers
        limit = self.limits.max_layers
        if self.visited + t.visited > limit or self.references + t.references > 10 * limit:
            return None  # (every layer was a visited instance: this bounds the layer count too)
        self.visited += t.visited
        self.references += t.references
        start = len(layers)
        input_ref = ins[0]

        def ref(rel: int) -> int:
            if rel is None:
                return input_ref
            return ins[-rel] if rel < 0 else start + rel

        renamed: dict = {}  # the inner calls of a nested block, under this call's prefix (one tuple per call)
        for name, type_, attrs, inputs, line, column, path, inner, node, fused, note, output in t.layers:
            if inner:
                chain = renamed.get(inner)
                if chain is None:
                    chain = renamed[inner] = calls + tuple((c[0], c[1], c[2], prefix + c[3], c[4]) for c in inner)
            else:
                chain = calls
            refs = ([input_ref if r is None else start + r for r in inputs] if t.single
                    else [ref(r) for r in inputs])
            layers.append(Layer(prefix + name, type_, attrs.copy(), refs, Source(line, column, path, chain), node,
                                output, fused, note))
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


def call_key(name: str, args: dict, shape, blocks: tuple):
    """What a block call's expansion depends on (params and limits are fixed for a run), or None."""
    try:
        return (name, tuple((k, _freeze(v)) for k, v in args.items()), shape, blocks)
    except TypeError:
        return None


@dataclass(slots=True)
class Template:
    """The layers, global names and instance counts of one clean block call, relative to it:
    names without the call's prefix, refs as offsets from its first layer (None: its first input,
    -k: its input k + 1 when the block names several)."""

    layers: list
    bindings: list
    output: int | None
    visited: int
    references: int
    single: bool  # one input: every ref is None or an offset (the fast path of replay)

    @classmethod
    def record(cls, layers: list, start: int, end: int, inputs: tuple, output: int, bound: list, cut: int,
               ncalls: int, visited: int, references: int) -> "Template | None":
        """The template of the call that made layers[start:end], or None if any ref leads outside
        the call (then it cannot be replayed)."""
        input_ref = inputs[0]
        others = {r: -k for k, r in reversed(list(enumerate(inputs))) if k and r != input_ref}

        def rel(ref: int):
            if ref == input_ref:
                return None
            if ref in others:
                return others[ref]
            if ref < start:
                raise _Outside
            return ref - start

        try:
            rows = []
            for layer in layers[start:end]:
                src = layer.source
                inner = tuple((c[0], c[1], c[2], c[3][cut:], c[4]) for c in src.calls[ncalls:])
                rows.append((layer.name[cut:], layer.type, layer.attrs, tuple(rel(r) for r in layer.inputs), src.line,
                             src.column, src.path, inner, layer.node, layer.fused, layer.note,
                             layer.output))
            return cls(rows, [(n[cut:], rel(r)) for n, r in bound], rel(output), visited, references, not others)
        except _Outside:
            return None


class _Outside(Exception):
    """A recorded call's layer or name refers to something before the call (not its input)."""
