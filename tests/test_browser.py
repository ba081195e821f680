"""The HTML reports in a real browser: Debian's headless Chromium, driven by Playwright (the PyPI
package, with `executable_path` pointing at the system browser; `playwright install` is never
needed). Each page is opened with the network switched off and every request counted, and must
raise no console error. Screenshots go to build/screenshots/ (git-ignored) to be looked at.

Skipped, with the reason, when chromium or playwright is missing; `.ci/run` installs both.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Root in CI needs --no-sandbox; the rest keep a headless browser from calling home.
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
        "--disable-extensions"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium; .ci/run does)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')"),
]


def transformer_specs() -> list[Path]:
    """The zoo's transformers (issue 14 adds them); the test skips until one exists."""
    return sorted(p for p in SPECS.glob("*.yaml") if re.search(r"vit|gpt|bert|transformer|llama|t5", p.stem))


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Opened:
    def __init__(self, page, errors, requests, dialogs):
        self.page, self.errors, self.requests, self.dialogs = page, errors, requests, dialogs


def open_page(browser, path: Path, viewport=DESKTOP) -> Opened:
    """Open a report offline; collect console errors, page errors, dialogs and every request."""
    context = browser.new_context(viewport=viewport, offline=True, service_workers="block")
    page = context.new_page()
    errors, requests, dialogs = [], [], []
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    url = path.resolve().as_uri()
    page.goto(url)
    page.wait_for_selector("html[data-ready='1']", timeout=30_000)
    requests.remove(url)  # the page itself; anything else is a request the report made
    return Opened(page, errors, requests, dialogs)


def make_report(tmp_path, *args) -> Path:
    out = tmp_path / "report.html"
    proc = subprocess.run([sys.executable, "-m", "netspec", *args, "-f", "html", "-o", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert out.exists(), proc.stderr
    return out


def facts(*args) -> dict:
    proc = subprocess.run([sys.executable, "-m", "netspec", "check", *map(str, args), "-f", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    return json.loads(proc.stdout)["files"][0]


def shoot(page, name: str, full: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def check_spec_page(browser, tmp_path, spec: Path, published: dict | None = None):
    net = facts(spec)["network"]
    html = make_report(tmp_path, "check", str(spec))
    o = open_page(browser, html)
    page = o.page
    shoot(page, f"{spec.stem}-1280x800")
    # every layer is one node once every block is unfolded and the whole graph is in view
    page.click("button[data-action=unfold]")
    page.click("text=Fit")
    page.wait_for_timeout(100)
    drawn = page.eval_on_selector_all("g.node[data-layer]", "els => els.map(e => e.getAttribute('data-layer'))")
    names = [layer["name"] for layer in net["layers"]]
    assert sorted(drawn) == sorted(names) and len(drawn) == len(names)
    # the table's total row holds exactly the JSON totals
    cells = page.eval_on_selector_all(".tv .row.total [data-key]",
                                      "els => els.map(e => [e.dataset.key, e.dataset.exact, e.textContent])")
    assert {k for k, _, _ in cells} == {"params", "maccs", "flops", "memory_accesses"}
    for key, value, _ in cells:
        assert int(value) == net["totals"][key], key
    for key, value in (published or {}).items():
        assert net["totals"][key] == value
        assert int(dict((k, v) for k, v, _ in cells)[key]) == value
    # a click on a node shows its full row and selects it in the table
    target = max(net["layers"], key=lambda layer: layer["maccs"])["name"]
    page.click("text=Fit")
    page.evaluate("name => window.netspecReport.pick(window.netspecReport.index(name), 'test')", target)
    page.wait_for_timeout(100)
    node = page.locator(f"g.node[data-layer='{target}']")
    node.click()
    expect(page.locator(".details h3")).to_have_text(target)
    assert page.locator(".tv .row.sel").count() >= 1
    assert target in page.inner_text(".tv .row.sel")
    shoot(page, f"{spec.stem}-selected-1280x800")
    shoot(page, f"{spec.stem}-full", full=True)
    assert o.errors == [] and o.requests == [] and o.dialogs == []
    page.context.close()
    # a phone-width viewport: nothing wider than the screen, the graph still drawn
    o = open_page(browser, html, PHONE)
    assert o.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    assert o.page.locator("g.node").count() > 0
    shoot(o.page, f"{spec.stem}-phone")
    shoot(o.page, f"{spec.stem}-phone-full", full=True)
    assert o.errors == [] and o.requests == []
    o.page.context.close()


def test_mobilenet_v2_report(browser, tmp_path):
    check_spec_page(browser, tmp_path, SPECS / "mobilenet_v2.yaml", {"params": 3_504_872, "maccs": 300_774_272})


def test_resnet50_report(browser, tmp_path):
    # torchvision's resnet50: 25,557,032 parameters, 4.089 GMACs (README, tests/test_zoo.py)
    check_spec_page(browser, tmp_path, SPECS / "resnet50.yaml", {"params": 25_557_032, "maccs": 4_089_184_256})


@pytest.mark.parametrize("spec", transformer_specs() or [None], ids=lambda p: p.stem if p else "none")
def test_transformer_report(browser, tmp_path, spec):
    if spec is None:
        pytest.skip("no transformer spec in specs/ yet (issue 14 adds vit and gpt2)")
    check_spec_page(browser, tmp_path, spec)


def test_blocks_fold_and_unfold(browser, tmp_path):
    o = open_page(browser, make_report(tmp_path, "check", str(SPECS / "resnet50.yaml")))
    page = o.page
    assert page.locator("g.node[data-group]").count() == 0  # a small network opens unfolded
    page.click("g.box[data-box='layer1.0'] g.head")
    folded = page.locator("g.node[data-group='layer1.0']")
    expect(folded).to_have_count(1)  # drawn at the next animation frame
    assert "bottleneck \u00b7 5 layers" in folded.text_content()
    expect(page.locator("g.node[data-layer='layer1.0.conv2']")).to_have_count(0)
    folded.click()
    expect(page.locator("g.node[data-layer='layer1.0.conv2']")).to_have_count(1)
    page.click("button[data-action=fold]")
    page.click("text=Fit")
    expect(page.locator("g.node[data-group]")).to_have_count(16)  # the bottlenecks
    expect(page.locator("g.node[data-layer]")).to_have_count(4)  # conv1, maxpool, avgpool, fc
    assert o.errors == [] and o.requests == []


def test_layers_over_budget_are_marked(browser, tmp_path):
    team = write(tmp_path / "team.yaml", "budget: {per_layer: {maccs: 115M}}\n")
    spec = SPECS / "resnet50.yaml"
    ns302 = {d["message"].split(":")[0].removeprefix("layer ")
             for d in facts(spec, "--budget-file", team)["diagnostics"] if d["code"] == "NS302"}
    o = open_page(browser, make_report(tmp_path, "check", str(spec), "--budget-file", str(team)))
    page = o.page
    page.click("text=Fit")
    page.wait_for_timeout(100)
    over = page.eval_on_selector_all("g.node.over", "els => els.map(e => e.dataset.layer)")
    assert ns302 and set(over) == ns302
    assert page.locator(".budget.over").count() == 1
    page.check("input[data-action=over-only]")
    rows = page.eval_on_selector_all(".tv .body .row.layer", "els => els.map(e => e.dataset.layerRow)")
    assert 0 < len(rows) <= len(ns302)
    shoot(page, "resnet50-over-budget-1280x800")
    assert o.errors == [] and o.requests == []


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_hostile_text_is_shown_as_text(browser, tmp_path):
    note = "</script><script>alert(1)</script><img src=x onerror=alert(2)> & \"q\" 'q'\nnext line"
    spec = write(tmp_path / 'we<ird>&"\'.yaml', "netspec: 1\nname: hostile\ninput: {channels: 8}\nlayers:\n"
                 f"  - {{name: fc, type: dense, units: 4, note: {json.dumps(note)}}}\n")
    o = open_page(browser, make_report(tmp_path, "check", str(spec)))
    page = o.page
    page.click("g.node[data-layer='fc']")
    assert note.replace("\n", " ").split()[0] in page.inner_text(".details")
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    assert page.title().startswith("netspec: hostile (") and "we<ird>&\"'.yaml" in page.title()
    assert o.dialogs == [] and o.errors == [] and o.requests == []


def test_diff_report(browser, changed_repo):
    repo = changed_repo
    args = ["diff", "HEAD~1:net.yaml", "net.yaml"]
    want = json.loads(subprocess.run([sys.executable, "-m", "netspec", *args, "-f", "json"], cwd=repo,
                                     capture_output=True, text=True, timeout=120).stdout)
    out = repo / "diff.html"
    proc = subprocess.run([sys.executable, "-m", "netspec", *args, "-f", "html", "-o", str(out)], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    o = open_page(browser, out)
    page = o.page
    shoot(page, "diff-1280x800")
    # totals with deltas: exactly the JSON diff's
    for metric, t in want["totals"].items():
        row = page.locator(f"tr[data-metric={metric}] td[data-exact]")
        assert [int(x) for x in row.evaluate_all("els => els.map(e => e.dataset.exact)")] == [t["base"], t["head"]]
    status = {c["name"]: c["status"] for c in want["layers"]}
    assert set(status.values()) == {"added", "removed", "changed"}
    listed = page.eval_on_selector_all("tr[data-change]", "els => els.map(e => [e.dataset.change, e.className])")
    assert {name: cls.removeprefix("st-") for name, cls in listed} == status
    sides = {}
    for side in ("base", "head"):
        panel = page.locator(f"section.side-{side}")
        panel.locator("button[data-action=unfold]").click()
        panel.locator("text=Fit").click()
        page.wait_for_timeout(100)
        sides[side] = dict(panel.locator("g.node[data-layer]").evaluate_all(
            "els => els.map(e => [e.dataset.layer, e.getAttribute('class')])"))
    base_names = {c for c, s in status.items() if s != "added"}
    head_names = {c for c, s in status.items() if s != "removed"}
    assert base_names <= set(sides["base"]) and head_names <= set(sides["head"])
    assert len(sides["head"]) == 12 and len(sides["base"]) == 12  # tiny: one layer in, one out
    for side, drawn in sides.items():
        marked = {name: re.search(r"st-(\w+)", cls).group(1) for name, cls in drawn.items() if "st-" in cls}
        assert marked == {n: s for n, s in status.items() if n in drawn}, side
    page.locator("tr[data-change=extra] a").click()
    expect(page.locator(".details h3")).to_have_text("extra")
    shoot(page, "diff-selected-1280x800")
    assert o.errors == [] and o.requests == [] and o.dialogs == []
    page.context.close()
    o = open_page(browser, out, PHONE)
    assert o.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shoot(o.page, "diff-phone")
    shoot(o.page, "diff-phone-full", full=True)
    assert o.errors == [] and o.requests == []
    o.page.context.close()


def test_device_report_colours_by_bound_and_draws_the_roofline(browser, tmp_path):
    """With --device (issue 16's estimate): bound colouring by default, latency bars, a roofline
    with one point per layer that runs a kernel, and the device's roofs."""
    spec = SPECS / "mobilenet_v2.yaml"
    net = facts(spec, "--device", "a100")["network"]
    o = open_page(browser, make_report(tmp_path, "check", str(spec), "--device", "a100"))
    page = o.page
    assert page.locator("select[aria-label='colour by']").input_value() == "bound"
    page.click("button[data-action=unfold]")
    page.click("text=Fit")
    page.wait_for_timeout(100)
    fills = dict(page.eval_on_selector_all("g.node[data-layer]",
                                           "els => els.map(e => [e.dataset.layer, e.querySelector('rect').getAttribute('fill')])"))
    by_bound: dict = {}
    for layer in net["layers"]:
        by_bound.setdefault(layer["bound"], set()).add(fills[layer["name"]])
    assert {"compute", "memory"} <= set(by_bound)
    assert all(len(f) == 1 for f in by_bound.values())  # one colour per bound
    assert len({next(iter(f)) for f in by_bound.values()}) == len(by_bound)  # and a different one each
    titles = page.eval_on_selector_all(".chart h3", "els => els.map(e => e.textContent)")
    assert any(t.startswith("Latency per layer") for t in titles) and any(t.startswith("Roofline") for t in titles)
    drawn = page.eval_on_selector_all(".roofline svg path[fill]", "els => els.map(e => (e.getAttribute('d').match(/M/g) || []).length)")
    assert sum(drawn) == sum(1 for x in net["layers"] if x["flops"] > 0 and x["compulsory_bytes"] > 0 and x["latency"] > 0)
    assert page.locator(".roofline path.roof").count() >= 1
    page.locator(".roofline").scroll_into_view_if_needed()
    shoot(page, "mobilenet_v2-a100-roofline-1280x800")
    assert o.errors == [] and o.requests == []


@pytest.mark.parametrize("spec, extra", [("tiny", ()), ("resnet50", ()), ("googlenet", ()), ("mobilenet_v2", ("--device", "a100")),
                                         ("squeezenet1_1", ("--device", "raspberry-pi-5"))],
                         ids=["tiny", "resnet50", "googlenet", "mobilenet_v2-a100", "squeezenet-rpi5"])
def test_table_cells_are_the_layers_table(browser, tmp_path, spec, extra):
    """The page makes the --layers cells from the facts in the browser (only the rows in view):
    every cell of every row must be what netspec.report.table.rows gives."""
    from netspec.checking import build_options
    from netspec.pipeline import check_path
    from netspec.report.table import columns, rows

    path = SPECS / f"{spec}.yaml"
    options = build_options([], None, {}, [], None, None, None, None, None, None)
    if extra:
        from netspec.checking import device_option

        options.device = device_option(extra[1], None)
    result = check_path(str(path), options)
    latency = getattr(result, "latency", None)
    want = [list(cells) for _, cells in rows(result.graph, result.totals, latency=latency)]
    o = open_page(browser, make_report(tmp_path, "check", str(path), *extra))
    assert o.page.evaluate("window.netspecReport.tableCells().length") == len(want)
    got = o.page.evaluate("window.netspecReport.tableCells()")
    assert o.page.eval_on_selector_all(".tv .head > div", "els => els.map(e => e.textContent)") == list(columns(result.graph, latency))
    assert got == want
    assert o.errors == [] and o.requests == []


def test_several_specs_and_an_invalid_one_in_one_page(browser, tmp_path):
    bad = write(tmp_path / "bad.yaml", "netspec: 1\nname: bad\ninput: {channels: 3}\nlayers:\n  - {type: dense, unitz: 4}\n")
    good = SPECS / "tiny.yaml"
    o = open_page(browser, make_report(tmp_path, "check", str(good), str(bad)))
    page = o.page
    assert page.locator("select[aria-label='spec file'] option").count() == 2
    assert page.locator("g.node[data-layer]").count() > 0
    page.select_option("select[aria-label='spec file']", "1")
    expect(page.locator("ul.diags li")).to_have_count(1)
    assert "NS101" in page.inner_text("ul.diags") and page.locator("g.node").count() == 0
    page.select_option("select[aria-label='spec file']", "0")
    expect(page.locator("g.node[data-layer='stage1.conv.0']")).to_have_count(1)
    assert o.errors == [] and o.requests == []


def test_diff_of_a_new_spec_draws_the_head_only(browser, changed_repo):
    out = changed_repo / "new.html"
    proc = subprocess.run([sys.executable, "-m", "netspec", "diff", "HEAD:new.yaml", "net.yaml", "-f", "html", "-o",
                           str(out)], cwd=changed_repo, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    o = open_page(browser, out)
    assert "absent" in o.page.inner_text("section.side-base")
    assert o.page.locator("section.side-head g.node.st-added").count() > 0
    assert o.errors == [] and o.requests == []
