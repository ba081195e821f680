"""The HTML report without a browser: the page's structure, its embedded data, escaping against
hostile text, and the layout the graph is drawn from (tests/test_browser.py opens the pages)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from netspec.pipeline import check_path, check_text
from netspec.report import graphview
from netspec.report.html import escape, script_json


ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def embedded(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="netspec-data">(.*?)</script>', page, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


def items(view, names):
    """item -> label: layer names, and groups as G:<id>."""
    n = len(names)
    return {i: (names[i] if i < n else "G:" + view.groups[i - n].id) for i in range(n + len(view.groups))}


def placed(view, names, scope_children):
    lab = items(view, names)
    return {lab[i]: (view.rank[i], view.column[i]) for i in scope_children}


def test_resnet_bottleneck_puts_the_shortcut_beside_the_main_path():
    r = check_path(str(SPECS / "resnet50.yaml"))
    names = [layer.name for layer in r.graph.layers]
    view = graphview.build(r.graph)
    assert [g.id for g in view.groups] == [f"layer{s}.{i}" for s, n in ((1, 3), (2, 4), (3, 6), (4, 3)) for i in range(n)]
    assert {g.block for g in view.groups} == {"bottleneck"}
    top = placed(view, names, view.top)
    # the input is rank 0 of the top level; the stem, the pool and the 16 calls follow in one column
    assert top["conv1"] == (1, 0) and top["maxpool"] == (2, 0)
    assert [top[f"G:layer1.{i}"] for i in range(3)] == [(3, 0), (4, 0), (5, 0)]
    first = placed(view, names, view.groups[0].children)
    assert first == {"layer1.0.conv1": (0, 0), "layer1.0.conv2": (1, 0), "layer1.0.conv3": (2, 0),
                     "layer1.0.downsample": (0, 1), "layer1.0.add": (3, 0)}
    # every layer lies in exactly one scope, and groups are contiguous ranges of layers
    seen = sorted(i for g in view.groups for i in g.children if i < len(names)) + \
        [i for i in view.top if i < len(names)]
    assert sorted(seen) == list(range(len(names)))
    for g in view.groups:
        assert all(g.first <= i <= g.last for i in g.children if i < len(names))


def test_nested_block_calls_nest_as_groups():
    spec = """netspec: 1
name: nested
input: {height: 8, width: 8, channels: 4}
blocks:
  inner:
    layers:
      - {name: a, type: conv, filters: 4, kernel: 1}
      - {name: b, type: relu}
  outer:
    layers:
      - {name: x, type: inner, repeat: 2}
      - {name: y, type: conv, filters: 4, kernel: 1}
layers:
  - {name: o, type: outer, repeat: 2}
  - {name: tail, type: relu}
"""
    r = check_text(spec, "nested.yaml")
    view = graphview.build(r.graph)
    got = [(g.id, g.block, view.groups[g.parent].id if g.parent >= 0 else None) for g in view.groups]
    assert got == [("o.0", "outer", None), ("o.0.x.0", "inner", "o.0"), ("o.0.x.1", "inner", "o.0"),
                   ("o.1", "outer", None), ("o.1.x.0", "inner", "o.1"), ("o.1.x.1", "inner", "o.1")]
    names = [layer.name for layer in r.graph.layers]
    assert placed(view, names, view.groups[0].children) == {"G:o.0.x.0": (0, 0), "G:o.0.x.1": (1, 0), "o.0.y": (2, 0)}


def test_inception_branches_stand_side_by_side():
    r = check_path(str(SPECS / "googlenet.yaml"))
    names = [layer.name for layer in r.graph.layers]
    view = graphview.build(r.graph)
    g = next(g for g in view.groups if g.id == "inception4a")
    got = placed(view, names, g.children)
    assert got["inception4a.branch1"] == (0, 0)
    assert {got[f"inception4a.branch{b}"][1] for b in (2, 3, 4)} == {1, 2, 3}
    assert got["inception4a.concat"] == (2, 0)


def test_ranks_follow_every_edge_within_a_scope():
    """An item sits below everything it reads from the same scope (the layout's invariant)."""
    for spec in ("mobilenet_v2", "resnet50", "googlenet", "squeezenet1_1", "tiny"):
        r = check_path(str(SPECS / f"{spec}.yaml"))
        view = graphview.build(r.graph)
        n = len(r.graph.layers)

        def up(x):  # the item that holds x
            return n + view.scope[x]

        def depth(x):
            return 0 if view.scope[x] == -1 else 1 + depth(up(x))

        for i, layer in enumerate(r.graph.layers):
            for src in layer.inputs:
                if src < 0:
                    continue
                a, b = src, i  # walk both ends up to their common scope
                while depth(a) > depth(b):
                    a = up(a)
                while depth(b) > depth(a):
                    b = up(b)
                while view.scope[a] != view.scope[b]:
                    a, b = up(a), up(b)
                if a != b:
                    assert view.rank[a] < view.rank[b], (spec, layer.name)


def test_escape():
    assert escape('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
    # a lone surrogate has no character reference (HTML reads &#55296; as U+FFFD): shown as its escape,
    # and an undecodable byte of a file name (surrogateescape) as that byte
    assert escape("caf\u00e9 \ud800 \udce9") == "caf&#233; \\ud800 \\xe9"


def test_script_json_cannot_end_its_element():
    text = script_json({"s": "</script><!-- <script>&\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and text.isascii()
    assert json.loads(text) == {"s": "</script><!-- <script>&\u2028"}


def test_streamed_data_is_the_same_json_as_written_whole():
    """A page's data written piece by piece (report/html.py Stream) is exactly script_json of the
    same data built whole: a stream longer than a batch, an empty one, a stream of files that
    hold streams, hostile strings inside a streamed item."""
    from netspec.report.html import BATCH, Stream, script_json_chunks

    def layers(n):
        return [{"name": f"l{i}</script>&", "output": [1, 2, i]} for i in range(n)]

    def files(streamed):
        out = []
        for n in (2 * BATCH + 3, 0, 1):
            net = {"name": "net", "layers": Stream(iter(layers(n))) if streamed else layers(n)}
            out.append({"path": "a<b>.yaml", "network": net, "view": {"edges": [0, 1]}})
        return Stream(iter(out), nested=True) if streamed else out

    whole = script_json({"kind": "check", "files": files(False), "changes": []})
    streamed = "".join(script_json_chunks({"kind": "check", "files": files(True), "changes": Stream(iter([]))}))
    assert streamed == whole
    assert "<" not in streamed and json.loads(streamed)["files"][0]["network"]["layers"][-1]["output"][2] == 2 * BATCH + 2


def test_a_stream_is_read_a_batch_at_a_time():
    """The first pieces of a page are out before most of its layers are made, so a page of
    100,000 layers never holds all their dictionaries at once."""
    from netspec.report.html import BATCH, Stream, script_json_chunks

    made = []

    def layers():
        for i in range(10 * BATCH):
            made.append(i)
            yield {"name": f"l{i}"}

    chunks = script_json_chunks({"network": {"layers": Stream(layers())}})
    seen = ""
    while '"l0"' not in seen:
        seen += next(chunks)
    assert len(made) <= BATCH + 1
    rest = "".join(chunks)
    assert len(json.loads(seen + rest)["network"]["layers"]) == 10 * BATCH


HOSTILE_NOTE = "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)> & \"quoted\" 'single'\nline"


def test_hostile_note_and_file_name_stay_text(tmp_path, cli):
    name = 'we<ird>&"q\'\nname.yaml'
    spec = tmp_path / name
    spec.write_text("netspec: 1\nname: hostile\ninput: {channels: 8}\nlayers:\n"
                    f"  - {{name: fc, type: dense, units: 4, note: {json.dumps(HOSTILE_NOTE)}}}\n")
    out = tmp_path / "report.html"
    r = cli("check", str(spec), "-f", "html", "-o", str(out))
    assert r.code == 0, r.err
    page = out.read_text(encoding="utf-8")
    assert page.isascii()
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the data block and the code
    assert "<img" not in page and "alert(1)</script>" not in page
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "we&lt;ird&gt;&amp;&quot;q&#x27;\nname.yaml" in title
    data = embedded(page)
    assert data["files"][0]["path"] == str(spec)
    assert data["files"][0]["network"]["layers"][0]["note"] == HOSTILE_NOTE


def test_page_embeds_the_json_contract(cli):
    spec = str(SPECS / "tiny.yaml")
    page = cli("check", spec, "-f", "html").out
    facts = json.loads(cli("check", spec, "-f", "json").out)["files"][0]
    data = embedded(page)
    f = data["files"][0]
    view = f.pop("view")
    assert f == facts
    n = len(facts["network"]["layers"])
    assert len(view["scope"]) == len(view["rank"]) == n + len(view["groups"])
    assert len(view["live"]) == n and max(view["live"]) == facts["network"]["totals"]["peak_activation_memory"]
    assert view["table"]["columns"][:3] == ["#", "layer", "type"]
    assert view["exact"]["maccs"] == str(facts["network"]["totals"]["maccs"])
    # the page asks for nothing: a CSP that refuses every fetch, and no URL of any kind
    assert "default-src 'none'" in page
    assert not re.search(r"(?:src|href)\s*=|https?://|url\(", page.split('id="netspec-data">')[0])


def test_invalid_spec_gives_a_page_with_its_problems_and_exit_1(tmp_path, cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text("netspec: 1\nname: bad\ninput: {channels: 3}\nlayers:\n  - {type: dense, unitz: 4}\n")
    r = cli("check", str(bad), "-f", "html")
    assert r.code == 1
    f = embedded(r.out)["files"][0]
    assert f["network"] is None and f["view"] is None
    assert f["diagnostics"][0]["code"] == "NS101"


def test_layers_over_a_per_layer_budget_are_listed():
    text = (SPECS / "resnet50.yaml").read_text() + "  per_layer: {maccs: 110M}\n"
    r = check_text(text, "resnet50.yaml")
    from netspec.report.html import network_view

    over = network_view(r)["over"]
    names = [r.graph.layers[int(i)].name for i in over]
    ns302 = sorted(d.message.split(":")[0].removeprefix("layer ") for d in r.diagnostics if d.code == "NS302")
    assert sorted(names) == ns302 and names  # the same layers as the NS302 diagnostics
    assert all(keys == ["maccs"] for keys in over.values())


def test_live_memory_peaks_where_the_totals_say():
    from netspec.cost import live_memory

    for spec in ("mobilenet_v2", "resnet50", "tiny"):
        r = check_path(str(SPECS / f"{spec}.yaml"))
        live = live_memory(r.graph)
        peak = max(live)
        assert peak == r.totals.peak_activation_memory
        assert r.graph.layers[live.index(peak)].name == r.totals.peak_layer


def test_assets_are_ascii():
    from netspec.report.html import ASSETS

    for f in ASSETS.iterdir():
        assert f.read_bytes().isascii(), f.name
