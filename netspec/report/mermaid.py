"""Mermaid flowcharts: `check -f mermaid` (one spec) and `diff -f mermaid` (the changed part), and
the graph the markdown reports embed when it is small enough to read. GitHub draws Mermaid in PR
comments and job summaries, so a reviewer sees the network, or what a proposal changes, in place.
"""

from __future__ import annotations

from ..graph import INPUT
from ..ops import fmt_shape
from . import graphview
from .escape import json_text, visible

MAX_NODES = 60  # the most nodes a drawing embedded in markdown may have (a folded block is one)
CLASSES = ("classDef over stroke:#c62828,stroke-width:3px", "classDef added fill:#d7f0d9,stroke:#2e7d32",
           "classDef removed fill:#fbd5d5,stroke:#c62828,stroke-dasharray:5 3",
           "classDef changed fill:#ffecb3,stroke:#d08700", "classDef block fill:#eef2f7,stroke:#8a96a8")
_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;", "|": "#124;"}


def text(value) -> str:
    """Text for a quoted Mermaid label: its own entity codes for the characters that could end the
    string or become markup, and one line (control characters as spaces)."""
    out = []
    for ch in json_text(str(value)):  # an undecodable byte of a file name as \xff, like every format
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch < " " or ch == "\x7f" or ch in "\u2028\u2029":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def comment(value) -> str:
    """A `%%` comment line: one line, and never a `%%{...}%%` directive."""
    return "%% " + visible(" ".join(str(value).split()))


def _layer_label(layer) -> str:
    return f'"{text(layer.name)}<br/>{text(layer.type)} · {fmt_shape(layer.output)}"'


def flowchart(graph, over: dict | None = None, fold: bool = False) -> list[str]:
    """The network top to bottom: a node per layer (name, type, output shape), an edge per input,
    a subgraph per block call, or with `fold` one node per top-level block call."""
    view = graphview.build(graph)
    layers, n = graph.layers, len(graph.layers)
    over = over or {}
    out = ["flowchart TB", f'  input(["input<br/>{fmt_shape(graph.input)}"])']

    def item(i: int, indent: str) -> None:
        if i < n:
            out.append(f"{indent}n{i}[{_layer_label(layers[i])}]" + (":::over" if i in over else ""))
            return
        g = view.groups[i - n]
        if fold:
            count = g.last - g.first + 1
            out.append(f'{indent}g{i - n}[["{text(g.id)}<br/>{text(g.block)} · {count} layers"]]:::block')
            return
        out.append(f'{indent}subgraph g{i - n}["{text(g.id)} · {text(g.block)}"]')
        for child in g.children:
            item(child, indent + "  ")
        out.append(f"{indent}end")

    for i in view.top:
        item(i, "  ")

    def shown(i: int) -> str:
        if i == INPUT:
            return "input"
        if fold and view.scope[i] != graphview.NETWORK:
            g = view.scope[i]
            while view.groups[g].parent != graphview.NETWORK:
                g = view.groups[g].parent
            return f"g{g}"
        return f"n{i}"

    seen = set()
    for i, layer in enumerate(layers):
        for r in layer.inputs:
            edge = (shown(r), shown(i))
            if edge[0] != edge[1] and edge not in seen:
                seen.add(edge)
                out.append(f"  {edge[0]} --> {edge[1]}")
    return out + ["  " + c for c in CLASSES]


def size(graph, fold: bool) -> int:
    """Nodes in the drawing: the layers, or with `fold` the top level's items."""
    return len(graphview.build(graph).top) if fold else len(graph.layers)


def embeddable(graph) -> list[str] | None:
    """The drawing a markdown report embeds: every layer when that is few enough, else the top
    level with each block call folded, else none (the HTML report draws any size)."""
    if len(graph.layers) <= MAX_NODES:
        return flowchart(graph)
    if size(graph, fold=True) <= MAX_NODES:
        return [comment(f"each block call folded into one node ({len(graph.layers)} layers in all)")] + \
            flowchart(graph, fold=True)
    return None


def fenced(lines: list[str]) -> list[str]:
    return ["```mermaid", *lines, "```"]


def render(report) -> str:
    """`check -f mermaid`: one spec's flowchart (the command line allows one file), its problems as
    comments; an invalid spec is a diagram of one node that says so."""
    from ..budget import breaking_layers

    out: list[str] = []
    for result in report.results:
        for d in result.diagnostics:
            where = f"{result.path}:{d.line}:{d.column}" if d.line else result.path
            out.append(comment(f"{where}: {d.severity}[{d.code}] {d.message}"))
        if result.totals is None:
            out += ["flowchart TB", f'  invalid["{text(result.path)}: no graph (see the problems above)"]']
        else:
            out += flowchart(result.graph, breaking_layers(result.graph, result.budget))
    return "\n".join(out) + "\n"


# ---- diff ------------------------------------------------------------------------------------

def changed_region(diff) -> tuple[list[str], dict[str, str], list[tuple[str, str]], dict[str, dict]]:
    """The layers a diff added, removed or changed, with the layers next to them for context:
    (names in order, status by name, edges by name, facts by name). Removed layers keep the
    edges they had in the base."""
    base_g = diff.base.result.graph if diff.base.result is not None else None
    head_g = diff.head.result.graph if diff.head.result is not None else None
    status = {c.name: c.status for c in diff.layers}
    facts = {c.name: (c.head or c.base) for c in diff.layers}
    order: list[str] = []
    edges: list[tuple[str, str]] = []
    for graph, keep in ((head_g, lambda name: True), (base_g, lambda name: status.get(name) == "removed")):
        if graph is None:
            continue
        for layer in graph.layers:
            if keep(layer.name):
                order.append(layer.name)
            for r in layer.inputs:
                src = graph.name_of(r)
                if keep(layer.name) or status.get(src) == "removed":
                    edges.append((src, layer.name))
    hot = {name for name, s in status.items() if s != "same"}
    region = set(hot)
    for a, b in edges:
        if a in hot or b in hot:
            region.update((a, b))
    names = [name for name in dict.fromkeys(order) if name in region]
    if "input" in region:
        names.insert(0, "input")
    kept = [(a, b) for a, b in dict.fromkeys(edges) if a in region and b in region]
    return names, status, kept, facts


def diff_embeddable(diff) -> list[str] | None:
    """The changed part for a markdown comment, when it is small enough to read."""
    region = changed_region(diff)
    return diff_flowchart(diff, region) if len(region[0]) <= MAX_NODES else None


def diff_flowchart(diff, region=None) -> list[str]:
    names, status, edges, facts = region or changed_region(diff)
    if not any(status.get(name, "same") != "same" for name in names):
        return ["flowchart TB", '  same["no layer added, removed or changed"]']
    ids = {name: f"n{i}" for i, name in enumerate(names)}
    out = ["flowchart TB"]
    for name in names:
        if name == "input":
            out.append(f'  {ids[name]}(["input"])')
            continue
        f, st = facts[name], status.get(name, "same")
        label = f'"{text(name)}<br/>{text(f["type"])} · {"x".join(map(str, f["output"]))}"'
        out.append(f"  {ids[name]}[{label}]" + (f":::{st}" if st != "same" else ""))
    for a, b in edges:
        out.append(f"  {ids[a]} --> {ids[b]}")
    return out + ["  " + c for c in CLASSES]


def render_diff(diff) -> str:
    """`diff -f mermaid`: the changed part of the network (added green, removed red and dashed,
    changed amber), with the unchanged layers next to it."""
    return "\n".join([comment(f"netspec diff {diff.base.label} -> {diff.head.label}"), *diff_flowchart(diff)]) + "\n"
