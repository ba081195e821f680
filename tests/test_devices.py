"""Device profiles: every shipped figure has a source and (for peaks) a dense/sparse mark; `netspec
devices` lists them with their sources; a profile without them is refused with file:line:col."""

from __future__ import annotations

import json
import os

import pytest

from netspec.device import DTYPES, DeviceError, read_profile, shipped

PATHS = shipped()


def test_at_least_eight_profiles_spanning_the_device_kinds():
    devices = [read_profile(p) for p in PATHS]
    assert len(devices) >= 8
    kinds = {d.kind for d in devices}
    assert {"gpu", "npu", "cpu", "mcu"} <= kinds
    titles = " ".join(d.title for d in devices)
    for must in ("A100", "H100", "Jetson Orin", "Neural Engine", "Raspberry Pi 5", "Cortex-M7"):
        assert must in titles, must
    assert len({d.name for d in devices}) == len(devices)
    names = [os.path.splitext(os.path.basename(p))[0] for p in PATHS]
    assert names == [d.name for d in devices]  # the file is named after the profile


@pytest.mark.parametrize("path", PATHS, ids=[os.path.basename(p) for p in PATHS])
def test_every_figure_is_sourced_and_every_peak_marked(path):
    d = read_profile(path)  # the reader itself refuses a missing source or mark; check the result too
    assert d.figures
    for f in d.figures:
        assert f.source == "unverified" or f.source in d.sources, (f.label, f.source)
        if f.source == "unverified":
            assert f.note, f.label
        if f.label.startswith("peak "):
            assert f.sparsity in ("dense", "unstated"), f.label
            assert f.label.split()[1] in DTYPES
    for key, s in d.sources.items():
        assert s["title"].strip()
        assert s["url"].startswith(("http://", "https://")), key
        assert "2026" in str(s["read"]), key
    labels = {f.label for f in d.figures}
    assert "memory bandwidth" in labels and "per-kernel overhead" in labels and "efficiency" in labels
    assert any(label.startswith("peak ") for label in labels)


GOOD = """\
netspec_device: 1
name: mine
title: my board
kind: cpu
peak:
  unit: FLOP/s
  float32: {value: 10G, sparsity: dense, source: sheet}
memory:
  bandwidth: {value: 10GB/s, source: sheet}
overhead: {value: 2us, source: unverified, note: a guess}
efficiency: {source: unverified, note: guesses, compute: 0.5, memory: 0.8}
sources:
  sheet: {title: My datasheet, url: "https://example.invalid/ds.pdf", read: 2026-11-30}
"""


def test_a_minimal_profile_reads(write):
    d = read_profile(write("mine.yaml", GOOD))
    assert d.peak == {"float32": 10e9} and d.bandwidth == 10e9 and d.overhead == 2e-6
    assert d.compute_eff("conv") == 0.5 and d.memory_eff("pool") == 0.8 and d.execution == "fused"


BROKEN = [
    # (replace this, with that, expected message part, line, column)
    ("float32: {value: 10G, sparsity: dense, source: sheet}", "float32: {value: 10G, sparsity: dense}",
     "`peak float32` has no `source:`", 7, 12),
    ("float32: {value: 10G, sparsity: dense, source: sheet}", "float32: {value: 10G, source: sheet}",
     "`peak.float32`: say `sparsity: dense` (or `unstated`)", 7, 12),
    ("sparsity: dense, source: sheet}", "sparsity: sparse, source: sheet}",
     "`peak.float32`: the estimate needs the dense peak", 7, 35),
    ("bandwidth: {value: 10GB/s, source: sheet}", "bandwidth: {value: 10GB/s, source: datasheet}",
     "`memory bandwidth`: source `datasheet` is not listed under `sources:`", 9, 38),
    ("source: unverified, note: a guess}", "source: unverified}", "is unverified: say why in a `note:`", 10, 24),
    ("bandwidth: {value: 10GB/s,", "bandwidth: {value: 10GB,", "is not a bandwidth", 9, 22),
    ("  sheet: {title: My datasheet, url: \"https://example.invalid/ds.pdf\", read: 2026-11-30}",
     "  sheet: {title: My datasheet}", "source `sheet` needs `url:`", 13, 10),
    ("kind: cpu", "kind: toaster", "`kind` is one of cpu, gpu, npu, mcu", 4, 7),
    ("memory:\n", "memroy:\n", "unknown key `memroy` in a device profile (did you mean `memory`?)", 8, 1),
]


@pytest.mark.parametrize("old,new,message,line,col", BROKEN, ids=[b[2][:40] for b in BROKEN])
def test_a_profile_without_source_or_mark_is_refused_at_the_node(write, old, new, message, line, col):
    assert old in GOOD
    path = write("bad.yaml", GOOD.replace(old, new))
    with pytest.raises(DeviceError) as exc:
        read_profile(path)
    assert f"{path}:{line}:{col}: [NS305]" in str(exc.value)
    assert message in str(exc.value)


def test_devices_lists_every_profile_with_its_sources(cli):
    r = cli("devices")
    assert r.code == 0, r.err
    for p in PATHS:
        d = read_profile(p)
        assert f"{d.name} — {d.title}" in r.out
        for s in d.sources.values():
            assert s["url"] in r.out
    assert "UNVERIFIED" in r.out and "dense" in r.out
    assert f"{len(PATHS)} device profiles." in r.out


def test_devices_json_and_selection(cli, write):
    r = cli("devices", "-f", "json", "a100", "rpi5")
    data = json.loads(r.out)
    assert [d["name"] for d in data["devices"]] == ["a100-sxm4-80gb", "raspberry-pi-5"]
    a100 = data["devices"][0]
    assert a100["peak_flops"]["float16"] == 312e12  # dense, not the 624 sparse "up to" figure
    assert all("source" in f for f in a100["figures"])
    mine = write("mine.yaml", GOOD)
    r = cli("devices", "nosuch")
    assert r.code == 2 and "no device profile named `nosuch`" in r.err
    r = cli("devices", "a100", "--device-file", mine)
    assert r.code == 0 and "mine — my board" in r.out
    bad = write("bad.yaml", GOOD.replace(", source: sheet}\nmemory", "}\nmemory"))
    r = cli("devices", "--device-file", bad)
    assert r.code == 2 and f"{bad}:7:12: [NS305]" in r.err


def test_the_sparse_trap_of_other_tools_is_avoided():
    """onnx-tool lists H100 PCIe FP16 at 1,600 TFLOPS, a sparse figure; the dense peak is about half."""
    d = read_profile(next(p for p in PATHS if p.endswith("h100-pcie.yaml")))
    assert d.peak["float16"] == 756.5e12
    f = next(f for f in d.figures if f.label == "peak float16")
    assert f.sparsity == "dense" and "sparsity / 2" in f.derived
