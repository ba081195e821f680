"""`--blocks`: fold repeated subgraphs of the imported layers into blocks, as a person writes them.

Two steps over the flat layer list (execution order):
1. runs: consecutive identical layers in a chain (VGG's convs) become one entry with `repeat`;
2. blocks: a segment of entries that forms a sub-network (one input from outside; nothing outside
   reads any of its layers but the last) and occurs at least twice, the same up to channel counts,
   strides and repeat counts, becomes a block; those values become its `args` (the most common
   one as the default). At each position the longest such segment is taken that is not just two
   shorter ones in a row (so ResNet gets a bottleneck block, not a stage of three), and
   consecutive calls with the same arguments merge into one call with `repeat`.

The result is checked by the caller: it must count exactly what the flat spec counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..ops import REGISTRY
from .emit import entry

ARG_WORDS = {"repeat": "times"}  # `repeat` is a key of every block call, so no argument may take its name
VARYING = ("filters", "units", "multiplier", "stride", "groups", "scale", "heads", "kv_heads", "head_dim", "dim",
           "shift", "max_length", "block", "count")
MAX_SPAN = 32  # entries in one block
MAX_LAYERS = 1500  # beyond this the flat spec is written as it is (the search is quadratic)


@dataclass
class Unit:
    """One entry before block folding: a layer, or a run of `count` identical layers."""

    first: int  # index of its first layer
    last: int  # index of its last layer (its output)
    count: int
    layer: object  # the (first) mapping.Layer


def runs(layers) -> list[Unit]:
    readers = Counter(r for l in layers for r in l.inputs)
    units: list[Unit] = []
    for i, layer in enumerate(layers):
        prev = units[-1] if units else None
        if (prev is not None and layer.inputs == [layers[prev.last].name] and readers[layers[prev.last].name] == 1
                and _same_layer(layers[prev.last], layer) and REGISTRY[layer.type].max_inputs == 1):
            prev.last, prev.count = i, prev.count + 1
            continue
        units.append(Unit(i, i, 1, layer))
    return units


def _same_layer(a, b) -> bool:
    return (a.type, a.attrs, a.batchnorm, a.activation, a.bias, a.note) == \
        (b.type, b.attrs, b.batchnorm, b.activation, b.bias, b.note)


class Folder:
    """The block search over units; `fold()` returns (block definitions, top-level entries)."""

    def __init__(self, layers) -> None:
        self.layers = layers
        self.units = runs(layers)
        self.unit_of = {}  # layer name -> index of its unit
        for k, u in enumerate(self.units):
            for i in range(u.first, u.last + 1):
                self.unit_of[layers[i].name] = k
        self.out_name = [layers[u.last].name for u in self.units]
        # per unit: the units it reads (-1: the network input), and who reads it
        self.reads = [[self.unit_of.get(r, -1) for r in layers[u.first].inputs] for u in self.units]
        self.readers: dict[int, set] = {}
        for k, rs in enumerate(self.reads):
            for r in rs:
                self.readers.setdefault(r, set()).add(k)
        self.readers.setdefault(len(self.units) - 1, set()).add(len(self.units))  # the network output
        self._keys: dict = {}
        self._occ: dict = {}

    # --- segments ----------------------------------------------------------------------------

    def external(self, s: int, p: int) -> int | None:
        """The one unit outside [s, s + p) the segment reads (None: not a sub-network)."""
        ext = set()
        for k in range(s, s + p):
            ext.update(r for r in self.reads[k] if not s <= r < s + p)
            if k < s + p - 1 and any(not s <= j < s + p for j in self.readers.get(k, ())):
                return None
        return ext.pop() if len(ext) == 1 else None

    def key(self, s: int, p: int):
        """What two instances of one block share (None: not a sub-network)."""
        if (s, p) in self._keys:
            return self._keys[(s, p)]
        ext = self.external(s, p)
        key = None
        if ext is not None:
            parts = []
            for k in range(s, s + p):
                u = self.units[k]
                attrs = tuple(sorted((a, repr(v)) for a, v in u.layer.attrs.items()
                                     if a not in VARYING and a != "padding"))
                ins = tuple("in" if r == ext else r - s for r in self.reads[k])
                parts.append((u.layer.type, attrs, ins, u.layer.batchnorm, u.layer.activation, u.layer.bias,
                              u.layer.note))
            key = tuple(parts)
        self._keys[(s, p)] = key
        return key

    def occurrences(self, key, p: int) -> list[int]:
        if (key, p) in self._occ:
            return self._occ[(key, p)]
        found, end = [], -1
        for s in range(len(self.units) - p + 1):
            if s >= end and self.key(s, p) == key:
                found.append(s)
                end = s + p
        self._occ[(key, p)] = found
        return found

    def repeated(self, s: int, p: int) -> bool:
        """A unit on its own, or a segment that is a sub-network occurring at least twice."""
        if p == 1:
            return True
        key = self.key(s, p)
        return key is not None and len(self.occurrences(key, p)) >= 2

    def composite(self, s: int, p: int) -> bool:
        """Just two blocks in a row, the second reading only the first's output: ResNet's stage is its
        bottlenecks, not a block of its own."""
        for q in range(1, p):
            if (min(q, p - q) >= 2 and self.repeated(s, q) and self.repeated(s + q, p - q)
                    and self._ext(s + q, p - q) == s + q - 1):
                return True
        return False

    def _ext(self, s, p):
        if p == 1:
            ins = set(self.reads[s])
            return ins.pop() if len(ins) == 1 else None
        return self.external(s, p)

    # --- choosing ------------------------------------------------------------------------------

    def closed(self, s: int, p: int) -> bool:
        """Nothing after the segment reads its input (a residual add belongs inside the block)."""
        return not any(k >= s + p for k in self.readers.get(s - 1, ()))

    def module(self, s: int, p: int) -> bool:
        """The segment's layers share a name prefix that its neighbours do not: it is one module of
        the source model (`layer1_0_...`, a bottleneck), not a piece of one or several of them."""
        names = [self.layers[i].name for i in range(self.units[s].first, self.units[s + p - 1].last + 1)
                 if not self.layers[i].generic]
        prefix = _prefix(names) if names else ""
        if not prefix:
            return False
        for k in (s - 1, s + p):
            if 0 <= k < len(self.units):
                u = self.units[k]
                if any(self.layers[i].name.startswith(prefix) for i in range(u.first, u.last + 1)):
                    return False
        return True

    def of_modules(self, s: int, p: int) -> bool:
        """The segment is two or more modules of several entries in a row (a ResNet stage is its
        bottlenecks): then the modules, not the segment, are the blocks."""
        reach = {s: 0}
        for i in range(s, s + p):
            if i not in reach:
                continue
            for q in range(2, s + p - i + 1):
                if (i, q) != (s, p) and self.key(i, q) is not None and self.module(i, q):
                    reach[i + q] = max(reach.get(i + q, 0), reach[i] + 1)
        return reach.get(s + p, 0) >= 2

    def choose(self) -> list[tuple[int, int, object]]:
        """(start, length, key or None) tiling the units left to right. At each position, of the
        closed segments that occur at least twice: the largest module of the source model that is
        not several modules in a row, if there is one; else the segment covering the most units over
        all its occurrences that is not two blocks in a row."""
        out, s, n = [], 0, len(self.units)
        while s < n:
            modules, others = [], []
            for p in range(2, min(MAX_SPAN, n - s) + 1):
                key = self.key(s, p)
                if key is None or not self.closed(s, p):
                    continue
                count = len(self.occurrences(key, p))
                if count < 2:
                    continue
                if self.module(s, p):
                    if not self.of_modules(s, p):
                        modules.append((p, p, key))
                elif not self.composite(s, p):
                    others.append((count * p, p, key))
            best = max(modules or others, default=None)
            if best is None:
                out.append((s, 1, None))
                s += 1
            else:
                out.append((s, best[1], best[2]))
                s += best[1]
        return out


# --------------------------------------------------------------------------------------------
# writing the blocks

def value_of(layer, attr: str):
    """An attribute as written, or the value it takes when left out (a pool's stride: its kernel)."""
    if attr in layer.attrs:
        return layer.attrs[attr]
    if attr == "stride" and "kernel" in layer.attrs and layer.type in ("maxpool", "avgpool"):
        return layer.attrs["kernel"]
    op = REGISTRY.get(layer.type)
    for a in op.attrs if op else ():
        if a.name == attr and isinstance(a.default, (int, tuple)):
            d = a.default
            return d[0] if isinstance(d, tuple) and len(set(d)) == 1 else (list(d) if isinstance(d, tuple) else d)
    return None


def _prefix(names: list[str]) -> str:
    """The common prefix of names up to a `_` (a name's end counts as one: `features_2_1` and
    `features_2_1_block_0` share `features_2_1_`)."""
    names = [n + "_" for n in names]
    first = names[0]
    n = len(first)
    for other in names[1:]:
        n = min(n, len(other))
        while n and other[:n] != first[:n]:
            n -= 1
    cut = first[:n]
    return cut[: cut.rfind("_") + 1] if "_" in cut else ""


def _ident(name: str, fallback: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name or "") else fallback


def _padding_options(layer) -> list:
    return list(getattr(layer, "padding_options", None) or [layer.attrs.get("padding")])


class Naming:
    """Names for blocks, their layers and their calls, from the source graph's names."""

    f: Folder
    used_names: set

    def call_name(self, s: int, p: int) -> str:
        layers = self.f.layers
        names = [layers[i].name for i in range(self.f.units[s].first, self.f.units[s + p - 1].last + 1)
                 if not layers[i].generic]
        base = _ident(_prefix(names).rstrip("_-"), "call") if names else "call"
        name, n = base, 2
        while name in self.used_names:
            name, n = f"{base}_{n}", n + 1
        self.used_names.add(name)
        return name

    def inner_names(self, s: int, p: int) -> list[str]:
        f = self.f
        names = [f.units[s + j].layer.name for j in range(p)]
        cut = len(_prefix([n for j, n in enumerate(names) if not f.units[s + j].layer.generic] or names))
        out, seen = [], set()
        for j, n in enumerate(names):
            layer = f.units[s + j].layer
            short = n[cut:]
            if layer.generic or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", short):
                short = layer.type
            if f.units[s + j].count > 1:
                short = re.sub(r"[_-]?\d+$", "", short)
            short = _ident(short, f"l{j}")
            if short in seen or short == "input":
                short = f"{short}_{j + 1}"
            seen.add(short)
            out.append(short)
        return out

    def block_name(self, s: int, p: int) -> str:
        f = self.f
        names = [f.units[s + j].layer.name for j in range(p) if not f.units[s + j].layer.generic]
        word = re.sub(r"\d+$", "", _prefix(names).split("_")[0]) if names else ""
        base = _ident(f"{word}_block" if word else "block", "block")
        name, n = base, 2
        while name in self.used_names:
            name, n = f"{base}{n}", n + 1
        self.used_names.add(name)
        return name


class BlockWriter(Naming):
    """Turns the chosen tiling into block definitions and top-level entries."""

    def __init__(self, folder: Folder) -> None:
        self.f = folder
        self.blocks: dict = {}  # key -> (name, instances)
        self.used_names = {l.name for l in folder.layers} | set(REGISTRY) | {"input"}

    def write(self, tiling) -> tuple[dict, list[dict]]:
        groups: dict = {}
        for s, p, key in tiling:
            if key is not None:
                groups.setdefault(key, []).append(s)
        # names a call may not take: the layers that stay at the top level, the op types, `input`
        f = self.f
        self.used_names = {f.layers[i].name for s, p, key in tiling if key is None or len(groups[key]) < 2
                           for i in range(f.units[s].first, f.units[s + p - 1].last + 1)}
        self.used_names |= set(REGISTRY) | {"input"}
        defs = {}
        specs = {}
        for key, starts in groups.items():
            if len(starts) < 2:
                continue
            p = len(key)
            spec = self.block(starts, p)
            if spec is not None:
                specs[key] = spec
                defs[spec["name"]] = spec["def"]
        top: list[dict] = []
        out_ref: dict[int, str] = {-1: "input"}
        previous = "input"
        for s, p, key in tiling:
            spec = specs.get(key) if key is not None else None
            if spec is None:
                for k in range(s, s + p):
                    e = self.unit_entry(k, out_ref, previous)
                    top.append(e)
                    previous = out_ref[k] = e["name"]
                continue
            ext = self.f.external(s, p)
            call = {"name": self.call_name(s, p), "type": spec["name"], **spec["args_of"][s]}
            if out_ref[ext] != previous:
                call["inputs"] = out_ref[ext]
            if top and self._merge(top[-1], call, spec, s, p, out_ref):
                out_ref[s + p - 1] = top[-1]["name"]
                previous = top[-1]["name"]
                continue
            self.used_names.add(call["name"])
            top.append(call)
            previous = out_ref[s + p - 1] = call["name"]
        return defs, top

    def _merge(self, last: dict, call: dict, spec, s: int, p: int, out_ref) -> bool:
        """A call right after a call of the same block with the same args, reading it: one more repeat."""
        same = {k: v for k, v in last.items() if k not in ("name", "repeat", "inputs")} == \
            {k: v for k, v in call.items() if k not in ("name", "inputs")}
        if not same or "inputs" in call or self.f.external(s, p) != s - 1:
            return False
        last["repeat"] = last.get("repeat", 1) + 1
        return True

    def unit_entry(self, k: int, out_ref: dict, previous: str) -> dict:
        u = self.f.units[k]
        layer = u.layer
        e = entry(layer, previous)
        e["name"] = layer.name if u.count == 1 else _ident(re.sub(r"[_-]?\d+$", "", layer.name), layer.name)
        if e["name"] != layer.name and e["name"] in self.used_names:
            e["name"] = layer.name
        self.used_names.add(e["name"])
        ins = [out_ref[r] for r in self.f.reads[k]]
        e.pop("inputs", None)
        if ins != [previous]:
            e = {**{k2: v for k2, v in e.items() if k2 in ("name", "type")},
                 **{k2: v for k2, v in e.items() if k2 not in ("name", "type")}}
            e["inputs"] = ins[0] if len(ins) == 1 else ins
        if u.count > 1:
            e["repeat"] = u.count
        return e

    def block(self, starts: list[int], p: int) -> dict | None:
        """The block for these instances: its body, args (defaults: the most common values), and each
        instance's call arguments; None when the instances' paddings cannot be written alike."""
        f = self.f
        units = [[f.units[s + j] for s in starts] for j in range(p)]
        paddings = common_paddings(units)
        if paddings is None:
            return None
        inner = self.inner_names(starts[0], p)
        varying, args, arg_of = arguments(units, inner)
        body = []
        ext_prev = "input"
        s = starts[0]
        ext = f.external(s, p)
        for j, per_pos in enumerate(units):
            u = per_pos[0]
            e = entry(u.layer, "__none__")
            e.pop("inputs", None)
            e["name"] = inner[j]
            e = _put(e, "padding", paddings[j]) if paddings[j] is not None else \
                {k: v for k, v in e.items() if k != "padding"}
            ins = ["input" if r == ext else inner[r - s] for r in f.reads[s + j]]
            if ins != [ext_prev]:
                e["inputs"] = ins[0] if len(ins) == 1 else ins
            for attr in (*VARYING, "repeat"):
                if (j, attr) in arg_of:
                    e = _put(e, attr, "${%s}" % arg_of[(j, attr)])
            if (j, "repeat") not in arg_of and u.count > 1:
                e["repeat"] = u.count
            body.append(e)
            ext_prev = inner[j]
        args_of = {}
        for i, start in enumerate(starts):
            args_of[start] = {arg_of[pos]: values[i] for pos, values in varying.items()
                              if repr(values[i]) != repr(args[arg_of[pos]])}
        first = f.layers[f.units[s].first].name
        return {"name": self.block_name(s, p), "args_of": args_of,
                "def": {"comment": f"{len(starts)} instances; the first at {first}", "args": args, "layers": body}}

def common_paddings(units) -> list | None:
    """Per block position, one way to write the padding that is right for every instance (None: no
    such way; a None entry: leave it out, `same`)."""
    paddings = []
    for per_pos in units:
        common = None
        for u in per_pos:
            opts = _padding_options(u.layer)
            common = opts if common is None else [o for o in common if o in opts]
        if not common:
            return None
        paddings.append(common[0])
    return paddings


def arguments(units, inner: list[str]):
    """(varying values per (position, attr), args with their defaults, the arg of each position):
    positions whose values agree in every instance share one argument."""
    varying = {}
    for j, per_pos in enumerate(units):
        for attr in (*VARYING, "repeat"):
            values = [u.count if attr == "repeat" else value_of(u.layer, attr) for u in per_pos]
            if len(set(map(repr, values))) > 1:
                varying[(j, attr)] = values
    groups: dict = {}
    for pos, values in varying.items():
        groups.setdefault(tuple(map(repr, values)), []).append(pos)
    counts = Counter(poss[0][1] for poss in groups.values())
    args, arg_of = {}, {}
    for poss in groups.values():
        j, attr = poss[0]
        word = ARG_WORDS.get(attr, attr)
        name = re.sub(r"\W", "_", word if counts[attr] == 1 else f"{inner[j]}_{word}")
        values = varying[poss[0]]
        common = Counter(map(repr, values)).most_common(1)[0][0]
        args[name] = next(v for v in values if repr(v) == common)
        for pos in poss:
            arg_of[pos] = name
    return varying, args, arg_of


ORDER = ("name", "type", "filters", "units", "kernel", "stride", "padding", "dilation", "groups", "multiplier")


def _put(e: dict, key: str, value) -> dict:
    """The entry with key set, in the order the zoo writes attributes (name, type, filters, kernel, stride...)."""
    out = {k: v for k, v in e.items() if k != key}
    if key not in ORDER:
        out[key] = value
        return out
    rank = ORDER.index(key)
    items = list(out.items())
    at = next((i for i, (k, _) in enumerate(items) if k not in ORDER[:rank]), len(items))
    items.insert(at, (key, value))
    return dict(items)


def fold_blocks(layers) -> tuple[dict, list[dict]] | None:
    """(block definitions, top-level entries), or None when there is nothing to fold."""
    if len(layers) > MAX_LAYERS:
        return None
    folder = Folder(layers)
    tiling = folder.choose()
    defs, top = BlockWriter(folder).write(tiling)
    if not defs and all(u.count == 1 for u in folder.units):
        return None
    return defs, top
