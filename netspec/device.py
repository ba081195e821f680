"""Device profiles: what a latency estimate needs to know about a machine, and where each figure came from.

A profile is a YAML file (one per device; the shipped ones live in `netspec/devices/`) read with
netspec's own safe loader. Every figure carries its source — a datasheet or whitepaper named in
the profile's `sources:` (title, URL, the date it was read), a calibration run, or the word
`unverified` with a note saying why — and every peak says whether it is dense or sparse: the
estimate uses dense peaks only (a 2:4-sparse "up to" figure is twice what a dense layer gets).

Only `--device`/`--device-file`, `netspec devices` and `netspec calibrate` import this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .quantity import QuantityError, parse_quantity, parse_rate, parse_time

FORMAT = 1
DTYPES = ("float32", "float16", "bfloat16", "int8")
KINDS = ("cpu", "gpu", "npu", "mcu")
FAMILIES = ("conv", "depthwise", "dense", "elementwise", "pool", "maxpool", "attention")
# A family a profile does not list takes the efficiency of the next one here, else `default`:
# max pooling is a windowed pool, a windowed pool a pass over memory like an element-wise op.
FALLBACK = {"maxpool": "pool", "pool": "elementwise"}
SPARSITY = ("dense", "unstated")  # `sparse` is refused: see _peak
EXECUTIONS = ("fused", "eager")
UNVERIFIED = "unverified"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "devices")


class DeviceError(ValueError):
    """A profile that cannot be used (unknown name, unreadable or invalid file); exit status 2."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One number of a profile, as the listing shows it: what, how much, and on whose word."""

    label: str  # "peak float32", "memory bandwidth", ...
    value: float
    unit: str  # "FLOP/s", "B/s", "B", "s", ""
    source: str  # a key of Device.sources, or "unverified"
    sparsity: str | None = None  # peaks only: "dense" or "unstated"
    unverified: bool = False
    derived: str | None = None  # how it was computed from sourced figures, when it was
    note: str | None = None
    raw: str = ""  # as the profile writes it: "19.5T", "2039GB/s"

    def as_dict(self) -> dict:
        out = {"label": self.label, "value": self.value, "unit": self.unit, "written": self.raw,
               "source": self.source, "unverified": self.unverified}
        for key in ("sparsity", "derived", "note"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(slots=True)
class Device:
    """A profile, resolved: peaks in FLOP/s, bandwidths in bytes/s, times in seconds."""

    name: str
    title: str
    kind: str
    path: str
    peak: dict[str, float]  # dtype -> dense FLOP/s (integer dtypes: operations/s, one MAC = 2)
    bandwidth: float
    overhead: float
    compute_efficiency: dict[str, float]  # family -> fraction of peak, with "default"
    memory_efficiency: dict[str, float]  # family -> fraction of bandwidth, with "default"
    execution: str = "fused"
    on_chip: int | None = None  # bytes of on-chip memory (cache, SRAM), when known
    on_chip_bandwidth: float | None = None  # used for a kernel whose bytes fit on chip, when given
    aliases: tuple[str, ...] = ()
    notes: str = ""
    figures: list[Figure] = field(default_factory=list)
    sources: dict[str, dict] = field(default_factory=dict)

    def compute_eff(self, family: str) -> float:
        return _lookup(self.compute_efficiency, family)

    def memory_eff(self, family: str) -> float:
        return _lookup(self.memory_efficiency, family)

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "kind": self.kind, "path": self.path,
                "aliases": list(self.aliases), "execution": self.execution, "notes": self.notes,
                "peak_flops": dict(self.peak), "bandwidth": self.bandwidth, "on_chip": self.on_chip,
                "on_chip_bandwidth": self.on_chip_bandwidth, "overhead": self.overhead,
                "compute_efficiency": dict(self.compute_efficiency),
                "memory_efficiency": dict(self.memory_efficiency),
                "figures": [f.as_dict() for f in self.figures],
                "sources": {k: dict(v) for k, v in self.sources.items()}}


def _lookup(table: dict[str, float], family: str) -> float:
    while family is not None:
        if family in table:
            return table[family]
        family = FALLBACK.get(family)
    return table["default"]


# ------------------------------------------------------------------------------------------------
# reading a profile


class _Checker:
    """The generic checks of a loaded profile's nodes (types, known keys, figures with their sources),
    every message at `file:line:col`."""

    def __init__(self, path: str, data) -> None:
        self.path = path
        self.data = data
        self.figures: list[Figure] = []
        self.sources: dict[str, dict] = {}

    def where(self, mapping, key=None, value: bool = False) -> str:
        span = None
        if key is not None and hasattr(mapping, "key_span"):
            span = mapping.value_span(key) if value else mapping.key_span(key)
        elif hasattr(mapping, "span"):
            span = mapping.span
        return f"{self.path}:{span[0]}:{span[1]}" if span else self.path

    def fail(self, mapping, key, message: str, value: bool = False):
        """A DeviceError at the key (or, with value=True, at the value that is wrong)."""
        return DeviceError(f"{self.where(mapping, key, value)}: [NS305] {message}")

    def mapping(self, parent, key, required: bool = True) -> dict:
        value = parent.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.fail(parent, key if key in parent else None,
                            f"`{key}` must be a mapping" if key in parent else f"`{key}:` is missing")
        return value

    def text(self, parent, key, required: bool = True) -> str | None:
        if key not in parent:
            if required:
                raise self.fail(parent, None, f"`{key}:` is missing")
            return None
        value = parent[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(parent, key, f"`{key}` must be a non-empty string")
        return value

    def known(self, mapping, allowed, what: str) -> None:
        for key in mapping:
            if key not in allowed:
                import difflib

                hint = difflib.get_close_matches(str(key), allowed, n=1)
                raise self.fail(mapping, key, f"unknown key `{key}` in {what}"
                                + (f" (did you mean `{hint[0]}`?)" if hint else f"; known: {', '.join(allowed)}"))

    def figure(self, parent, key, label: str, parse, unit: str, extra=(), zero: bool = False) -> tuple[float, dict]:
        """A `{value, source, ...}` mapping -> its parsed value; the figure is recorded for the listing."""
        node = self.mapping(parent, key)
        self.known(node, ("value", "source", "unverified", "derived", "note", *extra), f"`{label}`")
        if "value" not in node:
            raise self.fail(node, None, f"`{label}` has no `value:`")
        try:
            value = parse(node["value"])
        except (QuantityError, ValueError, OverflowError) as exc:
            raise self.fail(node, "value", f"`{label}`: {exc}", value=True) from None
        if not (value >= 0 if zero else value > 0):
            raise self.fail(node, "value", f"`{label}` must be {'0 or more' if zero else 'more than 0'}", value=True)
        source = self.source_of(node, label)
        flag = node.get("unverified", False)
        if not isinstance(flag, bool):
            raise self.fail(node, "unverified", "`unverified` is true or false")
        self.figures.append(Figure(label, float(value), unit, source, node.get("sparsity"),
                                   flag or source == UNVERIFIED, self.text(node, "derived", False),
                                   self.text(node, "note", False), str(node["value"]).strip()))
        return float(value), node

    def source_of(self, node, label: str) -> str:
        if "source" not in node:
            raise self.fail(node, None, f"`{label}` has no `source:` (a key of `sources:`, or `unverified` "
                            "with a `note:` saying why)")
        source = node["source"]
        if source == UNVERIFIED:
            if not node.get("note"):
                raise self.fail(node, "source", f"`{label}` is unverified: say why in a `note:`")
        elif not isinstance(source, str) or source not in self.sources:
            raise self.fail(node, "source", f"`{label}`: source `{source}` is not listed under `sources:`", value=True)
        return source


class _Reader(_Checker):
    """Reads one loaded profile into a Device: its sections, in the order the format lists them."""

    def read(self) -> Device:
        data = self.data
        if not isinstance(data, dict):
            raise DeviceError(f"{self.path}: [NS305] a device profile is a mapping (see `netspec devices`)")
        self.known(data, ("netspec_device", "name", "title", "kind", "aliases", "notes", "execution", "peak",
                          "memory", "overhead", "efficiency", "sources"), "a device profile")
        if data.get("netspec_device") != FORMAT:
            raise self.fail(data, "netspec_device" if "netspec_device" in data else None,
                            f"`netspec_device: {FORMAT}` (the profile format) is missing or not {FORMAT}")
        name = self.text(data, "name")
        kind = self.text(data, "kind")
        if kind not in KINDS:
            raise self.fail(data, "kind", f"`kind` is one of {', '.join(KINDS)}", value=True)
        execution = data.get("execution", "fused")
        if execution not in EXECUTIONS:
            raise self.fail(data, "execution", f"`execution` is one of {', '.join(EXECUTIONS)}", value=True)
        aliases = data.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail(data, "aliases", "`aliases` is a list of names")
        for key, entry in self.mapping(data, "sources").items():
            self.source_entry(self.data["sources"], key, entry)
        peak = self.peaks(self.mapping(data, "peak"))
        memory = self.mapping(data, "memory")
        self.known(memory, ("bandwidth", "on_chip", "on_chip_bandwidth"), "`memory`")
        bandwidth, _ = self.figure(memory, "bandwidth", "memory bandwidth", parse_rate, "B/s")
        on_chip = on_chip_bw = None
        if "on_chip" in memory:
            on_chip, _ = self.figure(memory, "on_chip", "on-chip memory", lambda v: parse_quantity(v, bytes_=True), "B")
        if "on_chip_bandwidth" in memory:
            if on_chip is None:
                raise self.fail(memory, "on_chip_bandwidth", "`on_chip_bandwidth` needs `on_chip` (its size)")
            on_chip_bw, _ = self.figure(memory, "on_chip_bandwidth", "on-chip bandwidth", parse_rate, "B/s")
        overhead, _ = self.figure(data, "overhead", "per-kernel overhead", parse_time, "s", zero=True)
        compute, memory_eff = self.efficiency(self.mapping(data, "efficiency"))
        return Device(name=name, title=self.text(data, "title"), kind=kind, path=self.path, peak=peak,
                      bandwidth=bandwidth, overhead=overhead, compute_efficiency=compute,
                      memory_efficiency=memory_eff, execution=execution,
                      on_chip=int(on_chip) if on_chip else None, on_chip_bandwidth=on_chip_bw,
                      aliases=tuple(aliases), notes=(data.get("notes") or "").strip(), figures=self.figures,
                      sources={k: dict(v) for k, v in self.data["sources"].items()})

    def source_entry(self, parent, key, entry) -> None:
        if not isinstance(entry, dict):
            raise self.fail(parent, key, f"source `{key}` must be a mapping with `title:` and `url:`/`read:` "
                            "(or `measured:`)")
        self.known(entry, ("title", "document", "url", "read", "measured", "host", "method", "note"),
                   f"source `{key}`")
        self.text(entry, "title")
        if "measured" in entry:
            self.text(entry, "measured")
        else:
            for k in ("url", "read"):
                if k not in entry:
                    raise self.fail(entry, None, f"source `{key}` needs `{k}:` (where it was read, and when)")
                self.text(entry, k)
        if key == UNVERIFIED:
            raise self.fail(parent, key, "`unverified` is not a source name")
        self.sources[key] = entry

    def peaks(self, node) -> dict[str, float]:
        self.known(node, ("unit", *DTYPES), "`peak`")
        unit = node.get("unit")
        if unit not in ("FLOP/s", "MAC/s"):
            raise self.fail(node, "unit" if "unit" in node else None,
                            "`peak.unit` is FLOP/s or MAC/s (one MAC = 2 FLOPs; integer OP/s count as FLOP/s)")
        scale = 2 if unit == "MAC/s" else 1
        out = {}
        for dtype in DTYPES:
            if dtype not in node:
                continue
            entry = node[dtype]
            if isinstance(entry, dict) and entry.get("sparsity") not in SPARSITY:
                why = ("the estimate needs the dense peak: halve a 2:4-sparse figure and say so with `derived:`"
                       if entry.get("sparsity") == "sparse" else "say `sparsity: dense` (or `unstated`)")
                raise self.fail(entry, "sparsity" if "sparsity" in entry else None,
                                f"`peak.{dtype}`: {why}", value=True)
            written = "OP/s" if dtype == "int8" and unit == "FLOP/s" else unit
            value, _ = self.figure(node, dtype, f"peak {dtype}", parse_quantity, written, extra=("sparsity",))
            out[dtype] = value * scale
        if not out:
            raise self.fail(node, None, f"`peak` lists no dtype ({', '.join(DTYPES)})")
        return out

    def efficiency(self, node) -> tuple[dict, dict]:
        self.known(node, ("compute", "memory", "source", "note"), "`efficiency`")
        source = self.source_of(node, "efficiency")
        out = []
        for key in ("compute", "memory"):
            value = node.get(key)
            table = dict(value) if isinstance(value, dict) else {"default": value}
            if "default" not in table:
                raise self.fail(node, key, f"`efficiency.{key}` needs a `default:`")
            for family, e in table.items():
                if family != "default" and family not in FAMILIES:
                    raise self.fail(value if isinstance(value, dict) else node, family if isinstance(value, dict)
                                    else key, f"`efficiency.{key}`: unknown op family `{family}`; families: "
                                    f"{', '.join(FAMILIES)}")
                if isinstance(e, bool) or not isinstance(e, (int, float)) or not 0 < e <= 16:
                    raise self.fail(node, key, f"`efficiency.{key}.{family}` must be a number in (0, 16]")
            out.append({k: float(v) for k, v in table.items()})
        self.figures.append(Figure("efficiency", 0.0, "", source, None, source == UNVERIFIED, None,
                                   self.text(node, "note", False)))
        return out[0], out[1]


def read_profile(path: str) -> Device:
    """A profile from a file; raises DeviceError with `file:line:col` for anything wrong."""
    from .loader import load_file

    loaded = load_file(path)
    if loaded.diagnostics:
        d = loaded.diagnostics[0]
        where = f"{path}:{d.line}:{d.column}" if d.line else path
        raise DeviceError(f"{where}: [{d.code}] {d.message}")
    return _Reader(path, loaded.data).read()


def shipped() -> list[str]:
    """Paths of the profiles that come with netspec, sorted by file name."""
    try:
        names = sorted(n for n in os.listdir(HERE) if n.endswith(".yaml"))
    except OSError:
        return []
    return [os.path.join(HERE, n) for n in names]


def find(name: str) -> Device:
    """A shipped profile by name or alias (case-insensitive); DeviceError with a hint otherwise."""
    wanted = name.strip().lower()
    devices = [read_profile(p) for p in shipped()]
    for d in devices:
        if wanted == d.name.lower() or wanted in (a.lower() for a in d.aliases):
            return d
    import difflib

    names = [d.name for d in devices]
    hint = difflib.get_close_matches(wanted, names + [a for d in devices for a in d.aliases], n=1)
    message = f"no device profile named `{name}`"
    message += f" (did you mean `{hint[0]}`?)" if hint else ""
    raise DeviceError(f"{message}; `netspec devices` lists them: {', '.join(names)}")


def resolve(name: str | None, path: str | None) -> Device | None:
    """`--device NAME` / `--device-file FILE` -> the profile (None when neither is given)."""
    if name is not None and path is not None:
        raise DeviceError("give --device or --device-file, not both")
    if path is not None:
        return read_profile(path)
    if name is not None:
        return find(name)
    return None
