"""Expansion's names and scopes: which layer a name or a `-k` in `inputs` refers to.

A `Scope` is one list being expanded: the top-level `layers`, or a block's body for one call.
Names resolve innermost scope first, then globally by their full dotted name (`stage3.1.dw`).
Variables of expressions are layered the same way (`over`): block args over params, the layer's
`in_*` dimensions and `i` over those. `Naming` is the part of `Expander` that declares, binds and
looks up names (NS202, NS207, NS209).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from ..graph import INPUT
from ..loader import PosDict
from ..ops import Tokens
from ..ops.base import LayerRef
from .reporting import POISON, Skip


@dataclass(slots=True)
class Scope:
    """One layer list being expanded: the top level, or a block's body for one call."""

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


def over(top: Mapping, base: Mapping) -> Mapping:
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
    if type(shape) is Tokens:
        return {"in_length": shape[0]}
    out = {"in_channels": shape[-1]}
    if len(shape) == 3:
        out["in_height"], out["in_width"] = shape[0], shape[1]
    elif len(shape) == 2:
        out["in_length"] = shape[0]
    return out


def _chain(scope: Scope):
    while scope is not None:
        yield scope
        scope = scope.parent


class Naming:
    """Layer names and references. Reads and writes `global_names`, `hints`, `reach` and
    `bindings` (see `Expander.__init__`); reports through `report`."""

    def declare_names(self, entries, scope: Scope) -> None:
        """Record the explicit names of a list before expanding it: NS207 for `input` and duplicates,
        and NS209 later for a reference to a name written further down."""
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                name = entry["name"]
                generated = self.generated_in(entries) if name[-1:].isdigit() else {}  # `conv_0`
                if name in generated:
                    other = entries[generated[name]]
                    line = other.span[0] if isinstance(other, PosDict) and other.span else "?"
                    self.report("NS207", f"`{name}` is also the name netspec gives the unnamed layer at line {line} "
                                "(its type and position); rename this layer or name that one",
                                entry, "name", f"{scope.list_path}[{index}].name")
                elif name == "input":
                    self.report("NS207", "`input` is reserved for the network (or block) input; choose "
                                "another name", entry, "name", f"{scope.list_path}[{index}].name")
                elif name in scope.declared:
                    first = entries[scope.declared[name]]
                    line = first.span[0] if isinstance(first, PosDict) and first.span else "?"
                    self.report("NS207", f"duplicate layer name `{name}` (first used at line {line})",
                                entry, "name", f"{scope.list_path}[{index}].name")
                else:
                    scope.declared[name] = index

    def generated_in(self, entries) -> dict:
        """{generated name: index} of a list's unnamed entries (`conv_0`), made once per list."""
        generated = self.generated_names.get(id(entries))
        if generated is None:
            generated = self.generated_names[id(entries)] = {
                f"{e['type']}_{i}": i for i, e in enumerate(entries)
                if isinstance(e, dict) and not isinstance(e.get("name"), str) and isinstance(e.get("type"), str)}
        return generated

    def bind(self, scope: Scope, name: str, ref: int) -> None:
        """Name `ref` in its scope and globally (logged while a block call is being recorded)."""
        scope.names[name] = ref
        self.global_names[scope.prefix + name] = ref
        if self.bindings is not None:
            self.bindings.append((scope.prefix + name, ref))

    def resolve_inputs(self, entry: PosDict, path: str, scope: Scope, who: str) -> list[int]:
        """The refs an entry's `inputs` name (default: the previous layer)."""
        if "inputs" not in entry:
            return [scope.history[-1]]
        raw = entry["inputs"]
        items = raw if isinstance(raw, list) else [raw]
        refs = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                raise Skip  # the schema stage reported it
            if isinstance(item, int):
                if item >= 0 or -item > len(scope.history):
                    where = "the block input" if scope.parent else "the network input"
                    self.report("NS202", f"{who}`inputs: {item}` counts back past {where} "
                                f"(only {len(scope.history) - 1} layers precede it)", entry, "inputs",
                                f"{path}.inputs")
                    raise Skip
                refs.append(scope.history[item])
            else:
                refs.append(self.lookup(item, entry, path, scope, who))
        return refs

    def resolve_references(self, entry: PosDict, path: str, scope: Scope, who: str, op, attrs: dict) -> dict:
        """Attributes naming another layer (a dense `tie:`) as LayerRefs: its full name, type,
        attributes and output, for the op to check (NS202/NS209 when there is no such layer)."""
        attrs = dict(attrs)
        for key in op.references:
            name = attrs.get(key)
            if name is None:
                continue
            ref = self.lookup(name, entry, path, scope, who, key)
            if ref == POISON:
                raise Skip  # the layer it names failed: reported there
            # The named layer is read by name, as from outside a block call: the call around this
            # layer is not replayed (its copy would name the first call's layer).
            self.reach = -1
            if ref == INPUT:
                attrs[key] = LayerRef.to(name, None, {}, None)
            else:
                target = self.graph.layers[ref]
                attrs[key] = LayerRef.to(target.name, target.type, target.attrs, target.output)
        return attrs

    def lookup(self, name: str, entry, path: str, scope: Scope, who: str, key: str = "inputs") -> int:
        """The ref of a layer name: innermost scope first, then the global dotted names. `key` is
        the attribute that names it, for the diagnostics."""
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
            self.report("NS209", f"{who}`{key}` refers to `{name}`, {what}; a layer can only read "
                        "layers written before it", entry, key, f"{path}.{key}")
            raise Skip
        # The hint looks at the first 1,000 names only: this runs for every failing instance, and
        # matching each against all names made a repeated bad reference quadratic (minutes).
        hint = self.hints.get(name)
        if hint is None:
            known = list(itertools.islice(itertools.chain((k for s in _chain(scope) for k in s.names),
                                                          self.global_names), 1000))
            import difflib  # only for a hint on an error

            hint = self.hints[name] = difflib.get_close_matches(name, known, n=1)
        self.report("NS202", f"{who}`{key}` names `{name}`, which is no layer in scope"
                    + (f" (did you mean `{hint[0]}`?)" if hint else ""), entry, key, f"{path}.{key}")
        raise Skip
