"""`netspec check -` reads the spec from standard input, named `<stdin>` (issue 13, item 4), through
the real entry point with a real pipe, as an editor integration calls it."""

from __future__ import annotations

import json
import subprocess
import sys

SPEC = """\
netspec: 1
name: piped
input: {channels: 4}
layers:
  - {type: dense, units: 8}
lint: {ignore: [NS402]}
"""


def netspec(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netspec", *args], input=stdin, capture_output=True, timeout=120)


def test_a_valid_spec_from_stdin():
    r = netspec("check", "-", stdin=SPEC.encode())
    assert r.returncode == 0, r.stderr
    # dense 4 -> 8 with bias: 4*8 + 8 = 40 params, 32 MACCs
    assert r.stdout.decode().startswith("<stdin>: ok — 1 layer, output 8, params 40, MACCs 32, ")
    doc = json.loads(netspec("check", "-f", "json", "-", stdin=SPEC.encode()).stdout)
    assert doc["files"][0]["path"] == "<stdin>" and doc["files"][0]["network"]["totals"]["params"] == 40


def test_problems_are_reported_at_stdin_line_and_column():
    bad = SPEC.replace("units: 8}", "units: 8, unitz: 2}")
    r = netspec("check", "-", stdin=bad.encode())
    assert r.returncode == 1
    col = bad.splitlines()[4].index("unitz") + 1
    assert r.stdout.decode().splitlines()[0] == f"<stdin>:5:{col}: error[NS101] unknown key `unitz` in a dense layer"


def test_stdin_next_to_files_not_utf8_and_twice(tmp_path):
    f = tmp_path / "f.yaml"
    f.write_text(SPEC.replace("piped", "file"))
    r = netspec("check", str(f), "-", stdin=SPEC.encode())
    assert r.returncode == 0 and "All 2 files clean." in r.stdout.decode()
    r = netspec("check", "-", stdin=SPEC.encode().replace(b"piped", b"pip\xffed"))
    assert r.returncode == 1 and r.stdout.decode().startswith("<stdin>:2:10: error[NS007]")
    r = netspec("check", "-", "-", stdin=SPEC.encode())
    assert r.returncode == 2 and "standard input (-) can be read only once" in r.stderr.decode()
    r = netspec("check", "-", "--max-file-size", "10", stdin=SPEC.encode())
    assert r.returncode == 1 and "error[NS010] standard input is over the limit of 10 bytes" in r.stdout.decode()
