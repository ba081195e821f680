"""The library entry point: `netspec.analyze(spec)` -> the costed graph, totals, per-layer facts.

    import netspec
    a = netspec.analyze("specs/mobilenet_v2.yaml", width=1.4)
    a.totals.maccs, a.totals.params, a.layers[0]["output"]

`spec` is a path (str or os.PathLike), YAML text, or an already-loaded mapping. A mapping from
`yaml.safe_load`, `json.load` or plain Python is fine: it is copied into the loader's position-
keeping containers with unknown positions (line and column 0 in diagnostics); tuples count as
lists. An invalid spec raises `SpecError`, which carries every diagnostic.

Cheap enough for a search loop: the schema checks are compiled once per process (jsonschema is
not even imported unless a spec is invalid), a mapping costs no file I/O and no YAML parsing,
and the per-layer facts (`layers`, `network`) are built only when first read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property

from .diagnostics import ERROR, Diagnostic
from .loader import DEFAULT_LIMITS, Limits, Loaded, PosDict, PosList
from .pipeline import FileResult, Options, check_loaded, check_path, check_text

__all__ = ["analyze", "Analysis", "SpecError"]


class SpecError(ValueError):
    """The spec is invalid (or unreadable); `.diagnostics` lists every problem found."""

    def __init__(self, diagnostics: list[Diagnostic], path: str = "<spec>") -> None:
        self.diagnostics = list(diagnostics)
        self.path = path
        errors = [d for d in self.diagnostics if d.severity == ERROR]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        if first is None:
            text = f"{path}: invalid spec"
        else:
            where = f"{path}:{first.line}:{first.column}" if first.line else path
            more = f" (and {len(errors) - 1} more error{'s' if len(errors) != 2 else ''})" if len(errors) > 1 else ""
            text = f"{where}: [{first.code}] {first.message}{more}"
        super().__init__(text)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]


class Analysis:
    """A checked, costed spec.

    graph        netspec.graph.Graph: the flat layers, in order, with shapes and cost rows
    totals       netspec.cost.Totals: params, maccs, flops, memory_accesses, compulsory_bytes,
                 weight_bytes, peak_activation_memory, peak_layer, arithmetic_intensity
    diagnostics  the warnings (an analysis never holds errors: those raise SpecError)
    network      the JSON contract's `network` object (netspec.report.facts.network_dict), built lazily
    layers       its per-layer facts: name, type, inputs, output, attrs, costs, parts
    result       the pipeline's FileResult (budget statuses included)
    """

    __slots__ = ("result", "__dict__")

    def __init__(self, result: FileResult) -> None:
        self.result = result

    @property
    def path(self) -> str:
        return self.result.path

    @property
    def graph(self):
        return self.result.graph

    @property
    def totals(self):
        return self.result.totals

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.result.diagnostics

    @property
    def latency(self):
        """netspec.latency.Estimate (per-layer `.layers`, `.latency`, `.throughput`, ...) when
        analyze() was given a device, else None."""
        return self.result.latency

    @property
    def budget(self) -> list:
        return self.result.budget

    @property
    def name(self) -> str:
        return self.result.graph.name

    @property
    def output(self) -> tuple:
        g = self.result.graph
        return g.shape_of(g.output_ref)

    @cached_property
    def network(self) -> dict:
        from .report.facts import network_dict

        return network_dict(self.result)

    @property
    def layers(self) -> list[dict]:
        return self.network["layers"]

    def __repr__(self) -> str:
        t = self.totals
        return (f"<Analysis {self.name}: {len(self.graph.layers)} layers, params {t.params:,}, "
                f"MACCs {t.maccs:,}, FLOPs {t.flops:,}>")


def analyze(spec, *, params: dict | None = None, limits: Limits | None = None, device=None,
            **overrides) -> Analysis:
    """Check and cost `spec` (a path, YAML text or a mapping); `params` / keyword arguments override
    the spec's params, like `--set` (`analyze(spec, width=1.4)`). Raises SpecError when invalid.

    `device` (a shipped profile's name, a profile file's path, or a netspec.device.Device) adds the
    latency estimate (`.latency`), as --device does; an unknown or invalid profile raises
    netspec.device.DeviceError (a ValueError). A spec param named `device` goes in `params=`."""
    values = dict(params or {})
    values.update(overrides)
    options = Options(overrides=values, limits=limits or DEFAULT_LIMITS, device=_device(device))
    if isinstance(spec, dict) or (not isinstance(spec, (str, bytes, bytearray)) and isinstance(spec, Mapping)):
        path = "<dict>"
        result = check_loaded(from_mapping(spec, options.limits), path, options)
    elif isinstance(spec, (bytes, bytearray)):
        path = "<string>"
        result = _check_bytes(bytes(spec), path, options)
    elif isinstance(spec, os.PathLike) or (isinstance(spec, str) and _looks_like_path(spec)):
        path = os.fspath(spec)
        result = check_path(path, options)
    elif isinstance(spec, str):
        path = "<string>"
        result = check_text(spec, path, options)
    else:
        raise TypeError(f"analyze() takes a path, YAML text or a mapping, not {type(spec).__name__}")
    if not result.ok or result.graph is None or result.totals is None:
        raise SpecError(result.diagnostics, path)
    return Analysis(result)


def _device(device):
    if device is None:
        return None
    from .device import Device, find, read_profile

    if isinstance(device, Device):
        return device
    text = os.fspath(device)
    return read_profile(text) if text.endswith((".yaml", ".yml")) or os.sep in text else find(text)


def _looks_like_path(text: str) -> bool:
    """A string is a path unless it reads as YAML: several lines, a flow mapping, or `key: value`."""
    if "\n" in text or text.lstrip().startswith("{"):
        return False
    if os.path.exists(text):
        return True
    return ": " not in text and not text.rstrip().endswith(":")


def _check_bytes(raw: bytes, path: str, options: Options) -> FileResult:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        diag = Diagnostic("NS007", f"the spec is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded", 1, 1)
        return check_loaded(Loaded(diagnostics=[diag]), path, options)
    return check_text(text, path, options)


class _Stop(Exception):
    """from_mapping hit a limit; the diagnostic is recorded."""


def from_mapping(data, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """An already-loaded spec as the loader would give it: PosDict/PosList containers, with the
    positions of the loader's own PosDict/PosList kept and none (0) for plain data.

    Mirrors the loader's rules where they apply to Python data: a key must be a string (a number or
    boolean key is turned into its text, as YAML would; a None, list or mapping key is NS013),
    nesting is bounded (NS012, which also stops a self-containing mapping), tuples are lists.
    """
    out = Loaded()
    diags = out.diagnostics
    max_depth = limits.max_depth
    max_nodes = limits.max_yaml_nodes
    count = 0

    def copy(value, depth: int):
        nonlocal count
        count += 1
        t = type(value)
        if t is str or t is int or t is float or t is bool or value is None:  # most nodes: leaves
            return value
        if count > max_nodes:
            diags.append(Diagnostic("NS011", f"the spec has more than {max_nodes:,} nodes; raise the limit "
                                    "with --max-yaml-nodes"))
            raise _Stop
        if isinstance(value, dict) or (not isinstance(value, (str, list, tuple)) and isinstance(value, Mapping)):
            if depth >= max_depth:
                diags.append(Diagnostic("NS012", f"mappings and lists are nested more than {max_depth} deep"))
                raise _Stop
            d = PosDict(getattr(value, "span", None))
            if isinstance(value, PosDict):  # the loader's own output: keep its positions
                d.spans = dict(value.spans)
            for k, v in value.items():
                if not isinstance(k, str):
                    if k is None or isinstance(k, (dict, list, tuple)):
                        diags.append(Diagnostic("NS013", f"a mapping key must be a plain string, got {k!r}"))
                        continue
                    k = str(k).lower() if isinstance(k, bool) else str(k)
                d[k] = copy(v, depth + 1)
            return d
        if isinstance(value, (list, tuple)):
            if depth >= max_depth:
                diags.append(Diagnostic("NS012", f"mappings and lists are nested more than {max_depth} deep"))
                raise _Stop
            lst = PosList(getattr(value, "span", None))
            if isinstance(value, PosList):
                lst.spans = list(value.spans)
            lst.extend(copy(v, depth + 1) for v in value)
            return lst
        return value

    try:
        out.data = copy(data, 0)
    except _Stop:
        out.data = None
    except RecursionError:
        diags.append(Diagnostic("NS012", "the spec is nested too deeply to read"))
        out.data = None
    return out
