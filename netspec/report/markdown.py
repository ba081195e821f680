"""Markdown for pull-request comments and `$GITHUB_STEP_SUMMARY`: a status per spec, its problems,
totals with budget headroom, and (with --layers) the per-layer table in a collapsible section."""

from __future__ import annotations

from ..budget import fmt_against
from . import units
from .escape import md_cell, md_code
from .table import NUMERIC, columns, rows, top_note


def _md_table(header, body) -> list[str]:
    right = NUMERIC | {"value", "used"}
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---:" if h in right else "---" for h in header) + "|"]
    out += ["| " + " | ".join(md_cell(_spec_text(h, c) if h in _SPEC_TEXT else c) for h, c in zip(header, r)) + " |"
            for r in body]
    return out


def file_section(result, layers: bool, depth: int | None = None) -> list[str]:
    icon = "✅" if result.ok else "❌"
    name = f" ({md_code(result.graph.name)})" if result.graph is not None else ""
    out = [f"### {icon} {md_code(result.path)}{name}", ""]
    for d in result.diagnostics:
        where = f"{d.line}:{d.column}" if d.line else "-"
        out.append(f"- **{d.severity}** `{d.code}` line {where}: {md_code(d.message)}")
    if result.diagnostics:
        out.append("")
    t = result.totals
    if t is not None:
        body = [("params", units.count(t.params)), ("MACCs", units.count(t.maccs)), ("FLOPs", units.count(t.flops)),
                ("memory accesses", units.count(t.memory_accesses)),
                ("compulsory traffic", units.nbytes(t.compulsory_bytes)), ("weights", units.nbytes(t.weight_bytes)),
                ("peak activation memory", f"{units.nbytes(t.peak_activation_memory)} at {md_code(t.peak_layer)}")]
        if t.kv_cache_bytes:
            body.append(("KV cache (attention `context`)", units.nbytes(t.kv_cache_bytes)))
        est = result.latency
        if est is not None:
            body += [(f"latency on {md_code(est.device.name)} (roofline estimate, {est.dtype})", units.seconds(est.latency)),
                     (f"throughput at batch {est.batch}", f"{est.throughput:,.1f} samples/s"),
                     ("time in memory-bound layers", f"{100 * est.memory_bound_share:.0f}%")]
        out += _md_table(("total", "value"), body) + [""]
        if result.budget:
            out += _md_table(("budget", "limit", "actual", "used", "status"), [
                (("per-layer " if b.limit.per_layer else "") + b.limit.key, fmt_against(b.limit, b.actual)[1],
                 fmt_against(b.limit, b.actual)[0] + (f" ({md_code(b.layer)})" if b.layer else ""),
                 f"{100 * b.actual / b.limit.value:.0f}%" if b.limit.value else "-",
                 "❌ over" if b.over else "✅") for b in result.budget]) + [""]
        if layers:
            out += ["<details><summary>Layers</summary>", ""]
            out += _md_table(columns(result.graph, result.latency, depth),
                             [cells for _, cells in rows(result.graph, t, latency=result.latency, depth=depth)])
            star = top_note(result.graph)
            out += (["", star.replace("*", "\\*", 1)] if star else []) + ["", "</details>", ""]
        out += graph_section(result)
    return out


def graph_section(result) -> list[str]:
    """The network as a Mermaid flowchart (GitHub draws it), when it is small enough to read."""
    from .mermaid import embeddable, fenced

    drawing = embeddable(result.graph)
    if drawing is None:
        return []
    return ["<details><summary>Graph</summary>", "", *fenced(drawing), "", "</details>", ""]


_SPEC_TEXT = {"layer", "type", "connected to", "note"}  # layer-table columns of the spec's own text


def _spec_text(column: str, cell: str) -> str:
    """A layer-table cell of the spec's text (a name, a block type, a note) as code; a sub-row's
    `  └ batchnorm` keeps its mark, a top layer its `*`, and the total row its word."""
    if not cell or cell == "total":
        return cell
    if cell.startswith("  └ "):
        return "└ " + md_code(cell[4:])
    if column == "layer" and cell.endswith("*"):
        return md_code(cell[:-1]) + "\\*"
    return md_code(cell)


def render(report) -> str:
    out = ["## netspec", ""]
    for result in report.results:
        out += file_section(result, report.layers, report.depth)
    return "\n".join(out).rstrip() + "\n"
