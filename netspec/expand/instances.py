"""Expansion of one list entry: its `repeat`, each instance's inputs and `when`, and one layer.

`Instancing` is the part of `Expander` that turns an entry into instances (`name.0`, `name.1`,
... under `repeat`), drops an instance whose `when` is false (it then passes its first input on),
hands a block call to `Calling`, and appends a layer to the graph with its inferred shape.
"""

from __future__ import annotations

from ..graph import INPUT, Layer, Source
from ..infer import check_arity, infer_layer
from ..loader import PosDict
from ..ops import REGISTRY, ShapeError
from .reporting import MAX_NAME, POISON, Skip, Stop
from .scopes import Scope, dims_vars, over


class Instancing:
    """Entries and instances. Reads `limits`, `blocks`, `graph`, `dims`; writes `failures`;
    uses the other parts of `Expander` for values, names, calls and diagnostics."""

    def expand_entry(self, entry: PosDict, index: int, path: str, scope: Scope) -> None:
        """One entry, `repeat` times: instances `name.0`, `name.1`, ...; the bare name is the last."""
        type_ = entry["type"]
        base = entry.get("name") if isinstance(entry.get("name"), str) else f"{type_}_{index}"
        who = f"{scope.prefix}{base}: "
        repeat, has_repeat = 1, "repeat" in entry
        if len(scope.prefix) + len(base) > MAX_NAME - 6:  # (6: the ".9999" of a repeat, a call's ".")
            self.report("NS217", f"this layer's full name, block-call prefixes included, would be more than "
                        f"{MAX_NAME - 6:,} characters long ({len(base):,} of its own); the limit is {MAX_NAME:,}",
                        entry, "name" if "name" in entry else "type", path)
            self.tick(entry, path)
            self.failures += 1
            scope.history.append(POISON)
            scope.names[base] = POISON
            return
        try:
            if has_repeat:
                vars = over(scope.in_vars or {}, scope.vars)
                repeat = self.normalize("int+", self.evaluate(entry, "repeat", entry["repeat"], vars, who, path),
                                        entry, "repeat", who, path)
                if repeat > self.limits.max_repeat:
                    self.report("NS213", f"{who}repeat {repeat:,} is over the limit of {self.limits.max_repeat:,} "
                                "(raise it with --max-repeat)", entry, "repeat", f"{path}.repeat")
                    raise Skip
        except Skip:
            self.tick(entry, path)
            self.failures += 1
            scope.history.append(POISON)
            scope.names[base] = POISON
            return
        ref = POISON
        for r in range(repeat):
            self.tick(entry, path)
            inst = f"{base}.{r}" if has_repeat else base
            vars = over({"i": r}, scope.vars) if has_repeat else scope.vars
            try:
                ref = self.expand_instance(entry, path, scope, inst, vars)
            except Skip:
                self.failures += 1
                ref = POISON
            scope.history.append(ref)
            self.bind(scope, inst, ref)
        if has_repeat:
            self.bind(scope, base, ref)

    def expand_instance(self, entry: PosDict, path: str, scope: Scope, inst: str, vars: dict) -> int:
        """One instance: its inputs, its `when`, then a block call or one layer; returns its ref."""
        who = f"{scope.prefix}{inst}: "
        refs = self.resolve_inputs(entry, path, scope, who)
        if not refs or POISON in refs:  # (an empty `inputs:` list is the schema stage's NS104)
            raise Skip
        layers, network_input = self.graph.layers, self.graph.input
        shapes = [network_input if r == INPUT else layers[r].output for r in refs]
        if None in shapes:
            raise Skip
        in_vars = scope.in_vars
        if in_vars is None:  # top level: the layer's own first input (the same few shapes recur)
            in_vars = self.dims.get(shapes[0])
            if in_vars is None:
                in_vars = self.dims[shapes[0]] = dims_vars(shapes[0])
        vars = over(in_vars, vars)
        if "when" in entry:
            keep = self.evaluate(entry, "when", entry["when"], vars, who, path)
            if not isinstance(keep, bool):
                self.report("NS211", f"{who}`when` must be true or false, got {keep!r}", entry, "when",
                            f"{path}.when")
                raise Skip
            if not keep:
                return refs[0]
        type_ = entry["type"]
        if type_ in self.blocks and type_ not in REGISTRY:
            return self.expand_call(entry, path, scope, inst, vars, refs)
        op = REGISTRY.get(type_)
        if op is None:
            self.report("NS105", f"{who}unknown layer type `{type_}`", entry, "type", f"{path}.type")
            raise Skip
        planned = scope.parent is not None or "repeat" in entry
        attrs, fused = self.layer_attrs(entry, op, planned, vars, who, path)
        if op.references:
            attrs = self.resolve_references(entry, path, scope, who, op, attrs)
        return self.append_layer(entry, path, scope, inst, who, op, attrs, fused, refs, shapes)

    def append_layer(self, entry: PosDict, path: str, scope: Scope, inst: str, who: str, op, attrs: dict,
                     fused: tuple, refs: list[int], shapes: list) -> int:
        """Add the layer to the graph with its inferred output shape (NS2xx when it does not fit)."""
        if len(self.graph.layers) >= self.limits.max_layers:
            self.report("NS212", f"the expanded network has more than {self.limits.max_layers:,} layers "
                        "(raise the limit with --max-layers)", entry, "type", path)
            raise Stop
        layer = Layer(name=scope.prefix + inst, type=entry["type"], attrs=attrs, inputs=refs,
                      source=Source(entry.span[0], entry.span[1], path, scope.calls) if entry.span
                      else Source(0, 0, path, scope.calls),
                      node=entry, fused=fused, note=entry.get("note"))
        try:
            check_arity(op, len(refs))
            layer.output = infer_layer(op, attrs, shapes)
        except ShapeError as exc:
            key = exc.key if exc.key in entry else None
            self.report(exc.code, f"{who}{exc.message}", entry, key, f"{path}.{key}" if key else path)
            raise Skip from None
        self.graph.layers.append(layer)
        return len(self.graph.layers) - 1
