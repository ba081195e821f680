"""Terminal/CI-log text: `path:line:col: severity[CODE] message`, a summary line per file, and
with --layers the aligned per-layer table."""

from __future__ import annotations

from ..diagnostics import ERROR, WARNING
from ..ops import fmt_shape
from . import units
from .escape import line_start, visible
from .table import NUMERIC, columns, rows, top_note


def _paint(text: str, code: str, on: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if on else text


def diagnostic_line(d, color: bool = False) -> str:
    sev = _paint(d.severity, "1;31" if d.severity == ERROR else "1;33", color)
    where = f"{line_start(d.file)}:{d.line}:{d.column}" if d.line else line_start(d.file)
    return f"{where}: {sev}[{d.code}] {visible(d.message)}"


def summary_line(result) -> str:
    g, t = result.graph, result.totals
    cache = f", KV cache {units.nbytes(t.kv_cache_bytes)}" if t.kv_cache_bytes else ""
    return (f"{line_start(result.path)}: ok — {units.plural(len(g.layers), 'layer')}, output "
            f"{fmt_shape(g.shape_of(g.output_ref))}, params {units.count(t.params)}, "
            f"MACCs {units.count(t.maccs)}, FLOPs {units.count(t.flops)}, memory accesses "
            f"{units.count(t.memory_accesses)}, peak activations {units.nbytes(t.peak_activation_memory)}{cache}")


def latency_line(result) -> str | None:
    """`  latency 4.21 ms on jetson-orin-nano-8gb (roofline estimate, float32): ...` with --device."""
    est = result.latency
    if est is None:
        return None
    return (f"  latency {units.seconds(est.latency)} on {visible(est.device.name)} (roofline estimate, {est.dtype}, "
            f"{est.device.execution} execution): {est.throughput:,.1f} samples/s at batch {est.batch}; "
            f"{100 * est.memory_bound_share:.0f}% of the time in memory-bound layers")


def budget_lines(result) -> list[str]:
    return [f"  budget {visible(b.headroom_text())}" for b in result.budget]


def layer_table(result, depth: int | None = None) -> str:
    header = columns(result.graph, result.latency, depth)
    table = [header] + [cells for _, cells in rows(result.graph, result.totals, latency=result.latency, depth=depth)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for n, r in enumerate(table):
        cells = [c.rjust(w) if header[i] in NUMERIC else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append(visible(" ".join(cells).rstrip()))
        if n == 0 or n == len(table) - 2:
            lines.append("-" * len(lines[0]))
    t = result.totals
    star = top_note(result.graph)
    lines.append(f"peak activation memory {units.nbytes(t.peak_activation_memory)} at {visible(t.peak_layer)}; "
                 f"compulsory traffic {units.nbytes(t.compulsory_bytes)}, weights {units.nbytes(t.weight_bytes)}, "
                 f"arithmetic intensity {t.arithmetic_intensity:.1f} FLOPs/byte" + (f"; {star}" if star else ""))
    if result.latency is not None:
        lines.append(f"latency: roofline estimate on {visible(result.latency.device.name)} with the profile's efficiencies, "
                     "not a measurement; bound = the larger of the compute and memory terms")
    return "\n".join(lines)


def render(report) -> str:
    out: list[str] = []
    errors = warnings = failed = 0
    for result in report.results:
        for d in result.diagnostics:
            out.append(diagnostic_line(d, report.color))
            errors += d.severity == ERROR
            warnings += d.severity == WARNING
        bad = not result.ok or (report.strict and any(d.severity == WARNING for d in result.diagnostics))
        failed += bad
        if result.totals is not None:
            if report.layers:
                if out:
                    out.append("")
                out.append(f"{line_start(result.path)} ({visible(result.graph.name)})")
                out.append(layer_table(result, report.depth))
            if not report.quiet and not bad:
                out.append(summary_line(result))
                line = latency_line(result)
                if line:
                    out.append(line)
                out.extend(budget_lines(result))
    n = len(report.results)
    if errors or warnings:
        found = " and ".join(units.plural(k, word) for k, word in ((errors, "error"), (warnings, "warning")) if k)
        out.append(f"Found {found}." if n == 1 else f"Found {found} in {failed_or_warned(report)} of {n} files.")
    elif n > 1 and not report.quiet:
        out.append(f"All {n} files clean.")
    return "\n".join(out) + ("\n" if out else "")


def failed_or_warned(report) -> int:
    return sum(1 for r in report.results if r.diagnostics)
