"""Plain-data facts of a checked spec (the JSON contract), shared by the JSON, diff and API users."""

from __future__ import annotations

from ..ops import Tokens
from .escape import json_text


def diagnostic_dict(d) -> dict:
    return {"code": d.code, "name": d.name, "severity": d.severity, "message": json_text(d.message),
            "line": d.line, "column": d.column, "end_line": d.end_line, "end_column": d.end_column,
            "path": d.path}


def _attr(v):
    return list(v) if isinstance(v, tuple) else v


def layer_dict(graph, layer, timing=None) -> dict:
    """One layer's facts; `timing` (a netspec.latency.LayerTime, with --device) adds `latency`,
    `bound`, `compute_time`, `memory_time`, `overhead_time` and `kernels`."""
    src = layer.source
    out = {
        "name": layer.name,
        "type": layer.type,
        "inputs": [graph.name_of(r) for r in layer.inputs],
        "output": list(layer.output),
        "attrs": {k: _attr(v) for k, v in layer.attrs.items()},
        "fused": list(layer.fused),
        "source": {"line": src.line, "column": src.column, "path": src.path,
                   "calls": [{"line": c[0], "column": c[1], "path": c[2], "name": c[3], "block": c[4]}
                             for c in src.calls]},
    }
    if layer.note:
        out["note"] = layer.note
    out.update(layer.cost.as_dict())
    if timing is not None:
        out.update(timing.as_dict())
    out["parts"] = [{"label": r.label, **r.as_dict()} for r in layer.rows]
    return out


def layer_dicts(result):
    """Every layer's facts, one at a time (a report of 100,000 layers streams them)."""
    graph, est = result.graph, result.latency
    for i, layer in enumerate(graph.layers):
        yield layer_dict(graph, layer, est.layers[i] if est is not None else None)


def input_kind(shape) -> str:
    """"image", "sequence", "vector" or "tokens" (token ids: `[L]` like a vector of L channels)."""
    if type(shape) is Tokens:
        return "tokens"
    return {3: "image", 2: "sequence", 1: "vector"}[len(shape)]


def network_dict(result, layers: bool = True) -> dict | None:
    """The `network` object; with layers=False its `layers` is left out (for a streaming writer)."""
    graph, totals = result.graph, result.totals
    if graph is None or totals is None:
        return None
    t = totals.as_dict()
    t["peak_activation_memory"] = totals.peak_activation_memory
    t["peak_layer"] = totals.peak_layer
    t["arithmetic_intensity"] = round(totals.arithmetic_intensity, 4)
    t["layers"] = len(graph.layers)
    est = result.latency
    if est is not None:
        t.update(est.totals_dict())
    out = {
        "name": graph.name,
        "input": list(graph.input),
        "input_kind": input_kind(graph.input),
        "batch": graph.batch,
        "dtype": graph.dtype,
        "params_used": graph.params,
        "output": list(graph.shape_of(graph.output_ref)),
        "totals": t,
        "budget": [b.as_dict() for b in result.budget],
    }
    if est is not None:
        out["device"] = est.device_dict()
    if layers:
        out["layers"] = list(layer_dicts(result))
    return out


def file_dict(result, layers: bool = True) -> dict:
    return {"path": json_text(result.path), "ok": result.ok,
            "diagnostics": [diagnostic_dict(d) for d in result.diagnostics],
            "network": network_dict(result, layers)}

