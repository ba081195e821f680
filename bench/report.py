"""The HTML report's benchmark: writing the page (whole process) and opening it (headless Chromium).

    python bench/report.py [--runs N] [--layers N] [--no-write]

- write: `netspec check gen_N.yaml -f html -o OUT` against the same check with the text report,
  fresh processes, round-robin, medians (bench/run.py's runner). Target for 10,000 layers: <= 2 s.
- open: Debian's chromium driven by Playwright (as tests/test_browser.py), one browser, a fresh
  context per run: from `goto` to the page's ready flag, then a click on a layer until its details
  show (the page answers input). Target for 10,000 layers: <= 5 s to interactive.

Skips the browser part, saying why, when chromium or playwright is missing. Results go to stdout
and bench/results/report.md (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402
from run import GENERATED, ROOT, Case, fmt_ms, netspec_command, publish, run_once  # noqa: E402

BROWSER_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def open_times(path: str, runs: int) -> tuple[list[float], list[float], list[float], str]:
    """(seconds to ready, seconds to interactive, the page's own script time) per run, or a reason."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return [], [], [], "no chromium on PATH (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [], [], [], "playwright is not installed (pip install playwright)"
    ready, interactive, script = [], [], []
    url = "file://" + os.path.abspath(path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=BROWSER_ARGS)
        for r in range(runs + 1):  # the first run warms the browser's caches and is dropped
            context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
            page = context.new_page()
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("html[data-ready='1']", timeout=60_000)
            t1 = time.perf_counter()
            node = page.locator("g.node[data-layer]").first
            name = node.get_attribute("data-layer")
            node.click()
            page.wait_for_function("n => document.querySelector('.details h3') && "
                                   "document.querySelector('.details h3').textContent === n", arg=name)
            t2 = time.perf_counter()
            if r:
                ready.append(t1 - t0)
                interactive.append(t2 - t0)
                script.append(float(page.evaluate("document.documentElement.dataset.renderMs")) / 1e3)
            context.close()
        browser.close()
    return ready, interactive, script, ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--layers", type=int, default=10_000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    ns, _ = netspec_command()
    spec = gen.write(args.layers, GENERATED)
    out_dir = tempfile.mkdtemp(prefix="netspec-bench-")
    page = os.path.join(out_dir, f"gen_{args.layers}.html")
    rel = os.path.relpath(spec, ROOT)
    cases = [Case("text", f"netspec check {rel}", ns + ["check", spec]),
             Case("html", f"netspec check {rel} -f html -o OUT", ns + ["check", spec, "-f", "html", "-o", page])]
    for c in cases:
        run_once(c, record=False)
    for _ in range(args.runs):
        for c in cases:
            run_once(c)
    size = os.path.getsize(page)
    ready, interactive, script, why = open_times(page, args.runs)
    lines = ["# netspec HTML report benchmark", "",
             f"{time.strftime('%Y-%m-%d %H:%M:%S')} · {args.layers:,} layers (bench/gen.py) · {args.runs} runs, medians · "
             f"page {size / 2**20:.1f} MiB · load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", "",
             "| step | wall (median) | range | CPU (median) | target | |", "|---|---:|---:|---:|---|---|"]
    for c in cases:
        target, ok = ("≤ 2 s", c.ms <= 2000) if c.key == "html" else ("", None)
        lines.append(f"| write: `{c.label}` | {fmt_ms(c.ms)} | {fmt_ms(min(c.wall) * 1e3)}–{fmt_ms(max(c.wall) * 1e3)} | "
                     f"{fmt_ms(c.cpu_ms)} | {target} | {'' if ok is None else ('**met**' if ok else '**not met**')} |")
    if why:
        lines.append(f"| open in headless Chromium | — | | | ≤ 5 s | skipped: {why} |")
    else:
        for label, xs, target in (("open: goto → drawn (ready flag)", ready, None),
                                  ("open: goto → a click shows the layer (interactive)", interactive, 5.0),
                                  ("the page's own script (parse, layout, first drawing)", script, None)):
            ms = statistics.median(xs) * 1e3
            verdict = "" if target is None else ("**met**" if ms <= target * 1e3 else "**not met**")
            lines.append(f"| {label} | {fmt_ms(ms)} | {fmt_ms(min(xs) * 1e3)}–{fmt_ms(max(xs) * 1e3)} | | "
                         f"{'≤ 5 s' if target else ''} | {verdict} |")
    publish(lines, "report.md", not args.no_write)
    shutil.rmtree(out_dir, ignore_errors=True)
    return 1 if any(c.error for c in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
