"""HTML: one self-contained, offline page per run (`check -f html`) or per diff (`diff -f html`).

The page is the JSON contract of each spec (report/facts.py) plus what a picture needs (block
groups and their layout ranks, the live-memory curve, the --layers table's columns, the layers
over a per-layer budget), embedded as inert JSON, and one script and style sheet inlined from
`assets/`. The script draws the graph, charts and table; nothing is fetched (the page's
Content-Security-Policy forbids every request), so it opens from a CI artifact or an attachment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from ..budget import breaking_layers, fmt
from ..cost import live_memory
from . import graphview
from .escape import json_text
from .facts import file_dict, layer_dicts
from .table import NUMERIC, columns

ASSETS = Path(__file__).with_name("assets")
# Every request is refused: no script, style, font, image or connection from anywhere but the page.
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
# The table's columns that sort by a number of the layer's own row (its op part).
SORT_KEYS = {"#": "index", "params": "params", "MACCs": "maccs", "FLOPs": "flops", "mem.acc": "memory_accesses",
             "%MACCs": "maccs"}
TOTAL_KEYS = ("params", "maccs", "flops", "memory_accesses", "compulsory_bytes", "weight_bytes",
              "peak_activation_memory")


def escape(text: str) -> str:
    """Text for HTML content or a quoted attribute: `& < > " '` as character references, and every
    non-ASCII character as a numeric one, so the page is plain ASCII; an undecodable byte of a file
    name (a lone surrogate, which no character reference may name) is shown as `\\xff`."""
    out = json_text(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;").replace("'", "&#x27;")
    return out.encode("ascii", "xmlcharrefreplace").decode("ascii") if not out.isascii() else out


def script_json(data) -> str:
    """JSON that can sit inside <script>: ASCII only, and no `<`, `>` or `&` that could end the
    element or open a comment whatever the strings hold."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


BATCH = 256  # items of a Stream serialised together


class Stream:
    """A JSON array in the page's data written one item at a time (a network's layers, a diff's
    changes): a page of two 88,000-layer networks never holds every layer's dictionary, nor the
    whole JSON text, at once. `nested`: its items may hold Streams themselves (a check page's files);
    otherwise each item is serialised whole."""

    __slots__ = ("items", "nested")

    def __init__(self, items: Iterable, nested: bool = False):
        self.items, self.nested = items, nested


def _streams(data) -> bool:
    return isinstance(data, Stream) or (isinstance(data, dict) and any(_streams(v) for v in data.values()))


def script_json_chunks(data) -> Iterator[str]:
    """script_json(data) in pieces: dictionaries that hold a Stream are opened, each Stream's items
    serialised one by one; everything else goes whole through json's C encoder."""
    if isinstance(data, Stream):
        yield "["
        if data.nested:
            for i, item in enumerate(data.items):
                if i:
                    yield ","
                yield from script_json_chunks(item)
        else:  # a batch of items at a time through one json.dumps: fewer calls, still little memory
            sep = ""
            for batch in iter(lambda it=iter(data.items): list(islice(it, BATCH)), []):
                yield sep + script_json(batch)[1:-1]
                sep = ","
        yield "]"
    elif _streams(data):
        yield "{"
        for i, (key, value) in enumerate(data.items()):
            yield ("," if i else "") + script_json(key) + ":"
            yield from script_json_chunks(value)
        yield "}"
    else:
        yield script_json(data)


def network_view(result) -> dict | None:
    """What the page draws besides the facts: groups and layout, edges as layer indices (-1 the
    network input), live memory, the table's columns, the layers over a per-layer budget."""
    graph, totals = result.graph, result.totals
    if graph is None or totals is None:
        return None
    edges = []
    for i, layer in enumerate(graph.layers):
        for r in layer.inputs:
            edges += (r, i)
    latency = getattr(result, "latency", None)  # with --device
    cols = columns(graph, latency)
    return {**graphview.build(graph).as_dict(), "edges": edges, "live": live_memory(graph),
            "over": {str(i): keys for i, keys in breaking_layers(graph, result.budget, latency).items()},
            "table": {"columns": list(cols), "numeric": [c in NUMERIC for c in cols],
                      "sort": {c: SORT_KEYS[c] for c in cols if c in SORT_KEYS}},
            "human": {k: fmt(k, getattr(totals, k)) for k in TOTAL_KEYS},
            "exact": {k: str(getattr(totals, k)) for k in TOTAL_KEYS},
            "budget_text": [b.headroom_text() for b in result.budget]}


def file_payload(result) -> dict:
    """The file's JSON contract (its layers a Stream, made as they are written) and its view."""
    doc = file_dict(result, layers=False)
    if doc["network"] is not None:
        doc["network"]["layers"] = Stream(layer_dicts(result))
    doc["view"] = network_view(result)
    return doc


def page_chunks(title: str, data: dict) -> Iterator[str]:
    """The page in pieces, its data streamed (see Stream): what a report writes."""
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    js = (ASSETS / "report.js").read_text(encoding="utf-8")
    yield (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"netspec\">\n"
        f"<title>{escape(title)}</title>\n<style>\n{css}</style>\n</head>\n<body>\n"
        "<noscript>This netspec report draws its graph, charts and table with JavaScript; "
        "the same facts are in <code>netspec check -f json</code>.</noscript>\n"
        "<script type=\"application/json\" id=\"netspec-data\">")
    yield from script_json_chunks(data)
    yield f"</script>\n<script>\n{js}</script>\n</body>\n</html>\n"


def page(title: str, data: dict) -> str:
    return "".join(page_chunks(title, data))


def render(report) -> Iterator[str]:
    files = Stream((file_payload(r) for r in report.results), nested=True)
    first = report.results[0] if report.results else None
    if first is not None and len(report.results) == 1:
        name = f"{first.graph.name} ({first.path})" if first.graph is not None else first.path
    else:
        name = f"{len(report.results)} specs"
    return page_chunks(f"netspec: {name}", {"kind": "check", "strict": report.strict, "files": files})


def render_diff(diff) -> Iterator[str]:
    """`diff -f html`: both sides' pages' data, the totals with deltas and every changed layer."""
    from ..diff import DIFF_METRICS
    from .diff_report import _budget_text as budget_text

    def side(s) -> dict:
        r = s.result
        return {"label": json_text(s.label), "exists": s.text is not None, "budget": budget_text(s),
                "file": file_payload(r) if r is not None else None}

    data = {
        "kind": "diff",
        "base": side(diff.base),
        "head": side(diff.head),
        "totals": {m: {"base": b, "head": h, "human": [fmt(m, b), fmt(m, h), fmt(m, abs(h - b))]}
                   for m, (b, h) in diff.totals.items()},
        "changes": Stream({"name": c.name, "status": c.status, "delta": {m: c.delta(m) for m in DIFF_METRICS}}
                          for c in diff.layers if c.status != "same"),
        "failures": diff.failures,
        "ok": diff.ok,
    }
    return page_chunks(f"netspec diff: {diff.base.label} -> {diff.head.label}", data)
