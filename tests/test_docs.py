"""Docs true to behaviour (issue 13, item 16): the README's JSON contract names exactly the keys
real output has; the README's example output is what the tool prints; the docs cite no file the
repository lacks and no internal jargon."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# A spec that makes every optional part appear: a block call, a note, a budget, a warning.
FULL = """\
netspec: 1
name: full
input: {height: 8, width: 8, channels: 4}
params: {width: 1}
blocks:
  unit:
    layers:
      - {type: conv, filters: 6, kernel: 3, note: six on purpose}
layers:
  - {name: u, type: unit}
  - {name: head, type: conv, filters: 8, kernel: 1, batchnorm: true, activation: relu}
budget: {maccs: 1M, per_layer: {params: 1K}}
"""


def _keys(value, skip=("attrs", "params_used")) -> set[str]:
    """Every key of every mapping, except inside the spec's own names (attributes, params)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            if k not in skip:
                out |= _keys(v, skip)
    elif isinstance(value, list):
        for v in value:
            out |= _keys(v, skip)
    return out


def test_json_contract_in_the_readme_is_exactly_the_output(cli, write):
    section = README[README.index("JSON (`version: 1`)"):]
    block = re.search(r"^```\n(.*?)^```$", section, flags=re.S | re.M).group(1)
    documented = set(re.findall(r'"(\w+)"', block))
    doc = json.loads(cli("check", write("full.yaml", FULL), "-f", "json").out)
    net = doc["files"][0]["network"]
    assert doc["files"][0]["diagnostics"], "the spec should warn (NS401) so diagnostics show their keys"
    assert net["budget"] and any(layer.get("note") for layer in net["layers"])
    assert any(layer["source"]["calls"] for layer in net["layers"])
    actual = _keys(doc)
    assert documented - actual == set(), "documented but never output"
    assert actual - documented == set(), "output but not documented"


def test_readme_example_output_is_what_the_tool_prints(cli):
    section = README[README.index("## What it prints"):]
    block = re.search(r"^```\n(.*?)^```$", section, flags=re.S | re.M).group(1)
    for command in re.split(r"^\$ ", block, flags=re.M)[1:]:
        line, _, shown = command.partition("\n")
        args = line.split()[1:]
        real = cli(*args).out.splitlines()
        for text in shown.strip("\n").splitlines():
            if text.strip() and text.strip() != "...":
                assert text in real, f"`{line}` no longer prints: {text}"


def test_docs_cite_only_files_that_exist_and_no_jargon():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "seed-network-cost-notes" not in text, path
        assert not re.search(r"\bthe seed\b|\bseed's\b|\(seed\)", text, flags=re.I), path
        for link in re.findall(r"\]\(([^)#]+\.(?:md|json|yaml|py))\)", text):
            assert (path.parent / link).exists(), f"{path.name} links to missing {link}"


def test_spec_format_doc_names_what_the_format_has():
    text = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    assert "lint: {ignore:" in text and "`rate`" in text
    assert "`memory_accesses`" in text and "`memory`" not in text.replace("`memory_accesses`", "")
    from netspec.ops import REGISTRY

    documented = set(re.findall(r"^\| (.+?) \|", text, flags=re.M))
    named = {t for row in documented for t in re.findall(r"`([a-z_0-9]+)`", row)}
    assert "attention" in named and "embedding" in named  # format 1.1's transformer rows (issue 14)
    assert not {"lstm", "gru", "mish"} & named - set(REGISTRY)  # nothing promised before the registry has it


def test_readme_transformer_example_checks_and_reports_its_kv_cache(cli, write):
    """The format section's decoder checks clean, and one decoding step after 4,095 cached tokens
    holds the KV cache the text states: 4 layers x 2 (K, V) x 4,095 x 2 kv_heads x 32 (256 / 8)
    x 4 bytes = 8,386,560 bytes, 8.00 MiB, within its 64 MiB budget."""
    text = re.search(r"^```yaml\n(netspec: 1\nname: tiny_lm\n.*?)^```$", README, flags=re.S | re.M).group(1)
    path = write("tiny_lm.yaml", text)
    assert cli("check", path).code == 0
    r = cli("check", path, "--set", "length=1", "--set", "context=4095", "-f", "json")
    assert r.code == 0
    assert json.loads(r.out)["files"][0]["network"]["totals"]["kv_cache_bytes"] == 4 * 2 * 4095 * 2 * 32 * 4
    assert "KV cache 8.00 MiB" in cli("check", path, "--set", "length=1", "--set", "context=4095").out
    assert "4 layers × 2 × 4,095 × 2 × 32 × 4 bytes =\n8.00 MiB" in README
