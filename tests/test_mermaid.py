"""Mermaid output (`check -f mermaid`, `diff -f mermaid`, and the drawings markdown reports embed):
its structure here, and its syntax by the official Mermaid parser (the npm package, installed by
`.ci/run` from tests/js/package-lock.json) running in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netspec.pipeline import check_path
from netspec.report import mermaid

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
MERMAID_JS = ROOT / "tests" / "js" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "netspec", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def node_lines(out: str) -> list[str]:
    return re.findall(r"^\s+n\d+\[.*$", out, re.M)


def test_text_escapes_what_could_end_a_label():
    assert mermaid.text('a"b<c>&d#e`f|g\nh') == "a#quot;b#lt;c#gt;#amp;d#35;e#96;f#124;g h"
    assert mermaid.comment("x\n%%{init: {}}%%") == "%% x %%{init: {}}%%"


@pytest.mark.parametrize("spec", ["tiny", "mobilenet_v2", "resnet50", "googlenet"])
def test_one_node_per_layer_and_one_edge_per_input(spec):
    r = check_path(str(SPECS / f"{spec}.yaml"))
    out = "\n".join(mermaid.flowchart(r.graph))
    names = re.findall(r'^\s+n\d+\["([^<]+)<br/>', out, re.M)
    assert names == [layer.name for layer in r.graph.layers]
    edges = re.findall(r"^\s+(\w+) --> (\w+)$", out, re.M)
    want = {("input" if src < 0 else f"n{src}", f"n{i}") for i, layer in enumerate(r.graph.layers) for src in layer.inputs}
    assert set(edges) == want and len(edges) == len(want)
    assert out.count("subgraph ") == out.count("\n  end") + out.count("\n    end") + out.count("\n      end")


def test_markdown_embeds_small_graphs_whole_and_bigger_ones_folded(cli):
    tiny = cli("check", str(SPECS / "tiny.yaml"), "-f", "markdown").out
    assert "```mermaid" in tiny and len(node_lines(tiny)) == 12
    mb = cli("check", str(SPECS / "mobilenet_v2.yaml"), "-f", "markdown").out
    assert "each block call folded" in mb
    assert len(re.findall(r'^\s+g\d+\[\["ir', mb, re.M)) == 17  # the 17 inverted residual calls


def test_markdown_leaves_out_a_graph_too_big_to_read(tmp_path, cli):
    spec = tmp_path / "long.yaml"
    spec.write_text("netspec: 1\nname: long\ninput: {channels: 8}\nlayers:\n  - {name: fc, type: dense, units: 8, repeat: 80}\n")
    out = cli("check", str(spec), "-f", "markdown").out
    assert "```mermaid" not in out and "fc.79" not in out


def test_mermaid_takes_one_spec(cli):
    r = cli("check", str(SPECS / "tiny.yaml"), str(SPECS / "resnet18.yaml"), "-f", "mermaid")
    assert r.code == 2 and "draws one spec" in r.err


def test_diff_draws_the_changed_part(changed_repo):
    repo = changed_repo
    r = run("diff", "HEAD~1:net.yaml", "net.yaml", "-f", "mermaid", cwd=repo)
    assert r.returncode == 0, r.stderr
    nodes = dict(re.findall(r'^\s+n\d+\["([^<]+)<br/>[^"]*"\](?::::(\w+))?$', r.stdout, re.M))
    assert nodes["extra"] == "added" and nodes["dropout"] == "removed" and nodes["classifier"] == "changed"
    assert nodes["stage3.pool"] == ""  # context: next to what changed, unchanged itself
    assert "stage1.conv.0" not in nodes  # far from any change
    md = run("diff", "HEAD~1:net.yaml", "net.yaml", "-f", "markdown", cwd=repo).stdout
    assert "```mermaid" in md and ":::added" in md


# ---- the official parser ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def parse():
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (apt-get install chromium; .ci/run does)")
    if not MERMAID_JS.exists():
        pytest.skip("the mermaid npm package is not installed (npm ci --prefix tests/js; .ci/run does)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(offline=True).new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_content("<!DOCTYPE html><html><body><div id=out></div></body></html>")
        page.add_script_tag(path=str(MERMAID_JS))
        page.evaluate("mermaid.initialize({startOnLoad: false, securityLevel: 'strict'})")

        def check(text: str, draw: str | None = None) -> str:
            result = page.evaluate("""async ([text, draw]) => {
                try {
                    const r = await mermaid.parse(text);
                    if (draw) { const {svg} = await mermaid.render('d' + Math.random().toString(36).slice(2), text);
                                document.getElementById('out').innerHTML = svg; }
                    return 'ok ' + r.diagramType;
                } catch (e) { return 'error ' + (e.message || String(e)); }
            }""", [text, draw])
            if draw:
                (ROOT / "build" / "screenshots").mkdir(parents=True, exist_ok=True)
                page.set_viewport_size({"width": 1000, "height": 1400})
                page.locator("#out svg").screenshot(path=str(ROOT / "build" / "screenshots" / f"mermaid-{draw}.png"))
            return result

        yield check
        assert errors == []
        browser.close()


@pytest.mark.parametrize("spec", ["tiny", "mobilenet_v2", "resnet50", "googlenet", "squeezenet1_1"])
def test_the_official_parser_accepts_check_output(parse, spec):
    out = run("check", SPECS / f"{spec}.yaml", "-f", "mermaid").stdout
    assert parse(out) == "ok flowchart-v2"


def test_the_official_parser_accepts_embedded_and_diff_drawings(parse, changed_repo, cli):
    repo = changed_repo
    md = cli("check", str(SPECS / "resnet50.yaml"), "-f", "markdown").out
    folded = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert parse(folded, draw="resnet50-folded") == "ok flowchart-v2"
    diff = run("diff", "HEAD~1:net.yaml", "net.yaml", "-f", "mermaid", cwd=repo).stdout
    assert parse(diff, draw="diff") == "ok flowchart-v2"


def test_the_official_parser_accepts_hostile_text(parse, tmp_path):
    name = 'x"]; click n0 call alert(1) %%{init}%% <b>&#35;\n.yaml'
    bad = tmp_path / name
    bad.write_text('netspec: 1\nname: bad\ninput: {channels: 3}\nlayers:\n  - {type: dense, unitz: "a\\"]\\n<i>#"}\n')
    out = run("check", bad, "-f", "mermaid")
    assert out.returncode == 1
    assert parse(out.stdout) == "ok flowchart-v2"
    assert len(re.findall(r"^\s+\w+\[", out.stdout, re.M)) == 1  # only the one "invalid" node
    spec = tmp_path / "ok.yaml"
    spec.write_text("netspec: 1\nname: ok\ninput: {channels: 3}\nlayers:\n"
                    f"  - {{name: fc, type: dense, units: 4, note: {json.dumps(name)}}}\n")
    assert parse(run("check", spec, "-f", "mermaid").stdout) == "ok flowchart-v2"
