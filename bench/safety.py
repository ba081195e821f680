"""Measure the bounds docs/safety.md promises: each hostile input of that page, made here (or read
from tests/hostile/), through `python -m netspec` in a subprocess, timed by its own CPU time
(user + system, from wait4: load-independent, unlike wall time) and peak resident memory.

    python bench/safety.py            # every case, 3 runs each, the median; a markdown table
    python bench/safety.py -n 1 names # only the cases whose label contains "names"

The table also says the load average before and after the runs, since wall time (shown too)
depends on what else the machine was doing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"


def _nested_names(depth: int = 32, name_len: int = 5000) -> str:
    """32 nested block calls whose layers have 5,000-character names, 90,000 layers."""
    lines = ["netspec: 1", "name: names", "input: {channels: 8}", "blocks:"]
    for k in range(depth - 1):
        lines += [f"  b{k}:", "    layers:", f"      - {{name: {'n' * name_len}{k}, type: b{k + 1}}}"]
    lines += [f"  b{depth - 1}:", "    layers:", f"      - {{name: {'r' * name_len}, type: relu, repeat: 10000}}",
              "layers:", "  - {type: b0, repeat: 9}"]
    return "\n".join(lines) + "\n"


def _chain(depth: int = 16, per: int = 5000, calls: int = 6) -> str:
    """30,000 layers, each 16 block calls deep (accepted: a 49 MB JSON report)."""
    lines = ["netspec: 1", "name: chain", "input: {channels: 8}", "blocks:"]
    for k in range(depth - 1):
        lines += [f"  b{k}:", "    layers:", f"      - {{type: b{k + 1}}}"]
    lines += [f"  b{depth - 1}:", "    layers:", f"      - {{type: relu, repeat: {per}}}", "layers:",
              f"  - {{type: b0, repeat: {calls}}}"]
    return "\n".join(lines) + "\n"


def _schema_errors(n: int = 99_000) -> str:
    """99,000 layers that each break the schema (units: many)."""
    return "netspec: 1\nname: bad\ninput: {channels: 8}\nlayers:\n" + "  - {type: dense, units: many}\n" * n


def _yaml_nodes(n: int = 999_000) -> str:
    """A note of 999,000 list items: the YAML node limit is 1,000,000."""
    return ("netspec: 1\nname: nodes\ninput: {channels: 8}\nlayers:\n  - {type: relu, note: ["
            + ",".join("0" for _ in range(n)) + "]}\n")


def _written_layers(n: int = 99_000) -> str:
    """99,000 distinct written layers (names, each read and kept): the slowest accepted kind found."""
    return ("netspec: 1\nname: written\ninput: {height: 4, width: 4, channels: 8}\nlayers:\n"
            + "".join(f"  - {{name: layer_{k:06d}, type: relu}}\n" for k in range(n)))


def _list_compare(entries: int = 10_000, repeat: int = 10_000, compares: int = 13) -> str:
    """A block argument that is a list of 10,000 numbers, compared whole 13 times in each of
    10,000 calls (lists in expressions, format 1.1): each comparison is charged by its length."""
    values = ", ".join(str(k % 7) for k in range(entries))
    test = " and ".join(["d == d"] * compares)
    return ("netspec: 1\nname: lists\ninput: {channels: 8}\nblocks:\n  b:\n    args: {d: null}\n"
            f"    layers:\n      - {{type: relu, when: '${{{test}}}'}}\nlayers:\n"
            f"  - {{type: b, repeat: {repeat}, d: [{values}]}}\n")


CASES = [
    # label, how the input is made (a file in tests/hostile/ or specs/, or a generator), extra arguments
    ("mobilenet_v2.yaml", ROOT / "specs" / "mobilenet_v2.yaml", ()),
    ("billion laughs (542 bytes)", HOSTILE / "billion_laughs.yaml", ()),
    ("13 big-integer expressions x repeat 10,000", HOSTILE / "expression_work_bigint_repeat.yaml", ()),
    ("13 small-integer expressions x repeat 10,000", HOSTILE / "expression_work_repeat.yaml", ()),
    ("list of 10,000 compared 13 x 10,000 times", _list_compare, ()),
    ("names: 32 nested calls, 5,000-character names, 90,000 layers", _nested_names, ()),
    ("call chain report bomb, -f json", HOSTILE / "call_chain_report_bomb.yaml", ("-f", "json", "-o", "{tmp}/r.json")),
    ("30,000 layers 16 calls deep, -f json", _chain, ("-f", "json", "-o", "{tmp}/r.json")),
    ("99,000 layers that break the schema", _schema_errors, ()),
    ("999,000 YAML nodes in one list", _yaml_nodes, ()),
    ("99,000 distinct written layers", _written_layers, ()),
    ("88,000 generated layers (bench/gen.py)", "gen", ()),
    ("88,000 generated layers, -f json", "gen", ("-f", "json", "-o", "{tmp}/r.json")),
    ("88,000 generated layers, --layers", "gen", ("--layers", "-o", "{tmp}/r.txt")),
    ("88,000 generated layers, -f html", "gen", ("-f", "html", "-o", "{tmp}/r.html")),
    ("88,000 generated layers, -f markdown --layers", "gen", ("-f", "markdown", "--layers", "-o", "{tmp}/r.md")),
    ("88,000 generated layers, -f csv", "gen", ("-f", "csv", "-o", "{tmp}/r.csv")),
    ("88,000 generated layers, -f sarif", "gen", ("-f", "sarif", "-o", "{tmp}/r.sarif")),
    ("diff of two 88,000-layer specs", "gen", ("diff", "-o", "{tmp}/d.txt")),
    ("diff of two 88,000-layer specs, -f html", "gen", ("diff", "-f", "html", "-o", "{tmp}/d.html")),
]


def measure(path: Path, extra: tuple, tmp: str) -> tuple[float, float, int, int, str]:
    """(CPU seconds, wall seconds, peak RSS in MiB, exit status, the first diagnostic code) of one
    run, the child reaped with wait4 so its resource usage is its own."""
    if extra[:1] == ("diff",):  # `netspec diff SPEC SPEC ...`: both sides the same file
        args = [sys.executable, "-m", "netspec", "diff", str(path), str(path), *(a.format(tmp=tmp) for a in extra[1:])]
    else:
        args = [sys.executable, "-m", "netspec", "check", str(path), *(a.format(tmp=tmp) for a in extra)]
    out_path = os.path.join(tmp, "stdout.txt")
    started = time.perf_counter()
    with open(out_path, "wb") as out, open(os.devnull, "wb") as err:
        pid = os.posix_spawn(sys.executable, args, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    report = next((o.format(tmp=tmp) for flag, o in zip(extra, extra[1:]) if flag == "-o"), None)
    with open(report or out_path, "rb") as fh:
        head = fh.read(1 << 20).decode(errors="replace")
    found = re.search(r'(?:error|warning)\[(NS\d{3})\]|"code": "(NS\d{3})"', head)
    code = (found.group(1) or found.group(2)) if found else ""
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status), code


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=3)
    ap.add_argument("only", nargs="*", help="run only cases whose label contains one of these")
    a = ap.parse_args(argv)
    load_before = os.getloadavg()
    print("| input | exit | code | CPU s | wall s | peak RSS MiB |\n|---|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        made: dict = {}
        for label, source, extra in CASES:
            if a.only and not any(w in label for w in a.only):
                continue
            if isinstance(source, Path):
                path = source
            else:
                key = source if isinstance(source, str) else source.__name__
                if key not in made:
                    made[key] = Path(tmp, f"{key.strip('_')}.yaml")
                    if source == "gen":
                        subprocess.run([sys.executable, str(ROOT / "bench" / "gen.py"), "--out", tmp, "88000"],
                                       check=True, capture_output=True)
                        made[key] = Path(tmp, "gen_88000.yaml")
                    else:
                        made[key].write_text(source(), encoding="utf-8")
                path = made[key]
            runs = [measure(path, extra, tmp) for _ in range(a.runs)]
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs)
            size = path.stat().st_size
            print(f"| {label} ({size / 1000:,.1f} KB) | {runs[0][3]} | {runs[0][4] or '-'} | {cpu:.2f} | {wall:.2f} "
                  f"| {rss} |", flush=True)
    load_after = os.getloadavg()
    print(f"\nload average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; after: "
          f"{', '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} CPUs; median of {a.runs} run(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
