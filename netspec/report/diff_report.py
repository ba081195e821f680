"""Formats of `netspec diff`: text for the terminal, JSON for scripts, markdown for a PR comment."""

from __future__ import annotations

import json

from ..budget import fmt
from ..diff import DIFF_METRICS, TOTAL_METRICS
from .escape import json_text, md_cell, md_code, visible

LABEL = {"params": "params", "maccs": "MACCs", "flops": "FLOPs", "memory_accesses": "memory accesses",
         "peak_activation_memory": "peak activation memory"}


def _delta(key: str, b: int, h: int) -> tuple[str, str]:
    d = h - b
    sign = "+" if d > 0 else ("-" if d < 0 else "±")
    pct = f"{100 * d / b:+.1f}%" if b else ("new" if h else "-")
    return f"{sign}{fmt(key, abs(d))}", pct


def _budget_text(side) -> str:
    r = side.result
    if side.text is None:
        return "absent"
    if r is None or r.totals is None:
        return "invalid"
    if not r.budget:
        return "no budget"
    over = [b for b in r.budget if b.over]
    return ("over: " + ", ".join(b.headroom_text() for b in over)) if over else \
        "within: " + ", ".join(b.headroom_text() for b in r.budget)


MOVERS = 10  # changed layers shown by size of change; added and removed layers are all listed


def _counts(diff) -> str:
    return ", ".join(f"{len(diff.with_status(s))} {s}" for s in ("added", "removed", "changed"))


def _change_text(c) -> str:
    """`d: params +272, MACCs +16.4K` and, for a changed layer, its output shape before and after."""
    parts = [f"{LABEL[m]} {_delta(m, (c.base or {}).get(m, 0), (c.head or {}).get(m, 0))[0]}"
             for m in ("params", "maccs") if c.delta(m)]
    shape = ""
    if c.status == "changed" and c.base["output"] != c.head["output"]:
        shape = f" output {'x'.join(map(str, c.base['output']))} -> {'x'.join(map(str, c.head['output']))}"
    return f"{c.name}{shape}" + (f": {', '.join(parts)}" if parts else "")


def _more(total: int, shown: int, what: str) -> str:
    rest = total - shown
    return f"… and {rest} more {what} (smaller moves; -f json lists every layer)" if rest > 0 else ""


def render_text(diff) -> str:
    out = [f"netspec diff {visible(diff.base.label)} -> {visible(diff.head.label)}", ""]
    rows = [("metric", "base", "head", "delta", "%")]
    for m in TOTAL_METRICS:
        b, h = diff.totals[m]
        rows.append((LABEL[m], fmt(m, b), fmt(m, h), *_delta(m, b, h)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    out += ["", f"layers: {_counts(diff)}"]
    movers = diff.movers(MOVERS)
    for c in diff.with_status("added") + diff.with_status("removed") + movers:
        out.append(f"  {c.status:<8} {visible(_change_text(c))}")
    more = _more(len(diff.with_status("changed")), len(movers), "changed")
    if more:
        out.append(f"  {more}")
    out += ["", f"budget base: {visible(_budget_text(diff.base))}", f"budget head: {visible(_budget_text(diff.head))}"]
    out += [f"FAIL: {visible(f)}" for f in diff.failures]
    return "\n".join(out) + "\n"


def _md_names(changes) -> str:
    return ", ".join(md_code(c.name) for c in changes)


def render_markdown(diff) -> str:
    out = [f"### netspec diff: {md_code(diff.base.label)} → {md_code(diff.head.label)}", "",
           "| | base | head | Δ | Δ% |", "|---|---:|---:|---:|---:|"]
    for m in TOTAL_METRICS:
        b, h = diff.totals[m]
        out.append(f"| {LABEL[m]} | {fmt(m, b)} | {fmt(m, h)} | {' | '.join(_delta(m, b, h))} |")
    out += ["", f"**Layers:** {_counts(diff)}"]
    for status in ("added", "removed"):
        changes = diff.with_status(status)
        if changes:
            out += ["", f"<details><summary>{status.capitalize()} ({len(changes)})</summary>", "",
                    _md_names(changes), "", "</details>"]
    moved = ("added", "removed", "changed")
    movers = diff.movers(MOVERS, moved)
    if movers:
        out += ["", "<details><summary>Biggest movers</summary>", "",
                "| layer | change | Δ params | Δ MACCs | output |", "|---|---|---:|---:|---|"]
        for c in movers:
            shape = "x".join(map(str, (c.head or c.base)["output"]))
            out.append(f"| {md_cell(md_code(c.name))} | {c.status} | {_delta('params', 0, c.delta('params'))[0]} | "
                       f"{_delta('maccs', 0, c.delta('maccs'))[0]} | {shape} |")
        more = _more(sum(len(diff.with_status(s)) for s in moved), len(movers), "layers")
        out += (["", more] if more else []) + ["", "</details>"]
    out += ["", f"Budget: base {md_code(_budget_text(diff.base))}; head {md_code(_budget_text(diff.head))}."]
    for f in diff.failures:
        out.append(f"\n❌ **{visible(f)}**")
    if any(c.status != "same" for c in diff.layers):
        from . import mermaid

        drawing = mermaid.diff_embeddable(diff)
        if drawing is not None:
            out += ["", "<details open><summary>The changed part of the graph</summary>", "",
                    *mermaid.fenced(drawing), "", "</details>"]
    return "\n".join(out) + "\n"


def render_json(diff) -> str:
    def side(s):
        r = s.result
        return {"label": json_text(s.label), "exists": s.text is not None, "ok": bool(r and r.ok),
                "budget": [b.as_dict() for b in r.budget] if r else []}

    doc = {
        "version": 1,
        "base": side(diff.base),
        "head": side(diff.head),
        "totals": {m: {"base": b, "head": h, "delta": h - b} for m, (b, h) in diff.totals.items()},
        "layers": [{"name": c.name, "status": c.status,
                    "delta": {m: c.delta(m) for m in DIFF_METRICS}, "base": c.base, "head": c.head}
                   for c in diff.layers if c.status != "same"],
        "failures": diff.failures,
        "ok": diff.ok,
    }
    return json.dumps(doc, indent=2) + "\n"


def render_html(diff) -> str:
    from .html import render_diff

    return render_diff(diff)


def render_mermaid(diff) -> str:
    from .mermaid import render_diff

    return render_diff(diff)


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html,
             "mermaid": render_mermaid}
