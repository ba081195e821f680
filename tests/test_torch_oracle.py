"""PyTorch as the oracle: every spec, exported to torch, must agree with netspec layer by layer.

For each spec under specs/ (globbed afresh on every run) and each op fixture in
tests/data/torch_ops/, the exported module runs one random sample in eval mode; per layer the
output shape, the parameters (with the fused batch norm) and the MACCs (FlopCounterMode / 2) must
equal netspec's, and so must the totals. Skips, visibly, without torch.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch oracle needs torch: pip install 'netspec-cli[torch]'")

from netspec.export import ExportError  # noqa: E402
from netspec.export.torch import MODULE_MEMBERS, attribute_names, build, sanitize, to_source  # noqa: E402
from netspec.ops import REGISTRY  # noqa: E402
from netspec.pipeline import Options, check_path, check_text  # noqa: E402
from torch_checks import compare_export  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OPS = ROOT / "tests" / "data" / "torch_ops"


def spec_files() -> list[Path]:
    return sorted(ROOT.glob("specs/**/*.yaml")) + sorted(OPS.glob("*.yaml"))


def checked(path, **overrides):
    result = check_path(str(path), Options(overrides=overrides))
    errors = [f"{d.line}:{d.column} {d.code} {d.message}" for d in result.diagnostics if d.severity == "error"]
    assert result.graph is not None and not errors, errors
    return result


@pytest.mark.parametrize("path", spec_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_agrees_with_torch(path):
    result = checked(path)
    problems = compare_export(result.graph, result.totals)
    assert not problems, "\n".join(problems)


def test_every_spec_is_covered_at_run_time():
    """Specs added while the suite runs are still collected by the next run; none is silently empty."""
    assert spec_files(), "no specs found"
    for p in spec_files():
        assert p.suffix == ".yaml"


def test_every_registry_op_is_exported_and_checked():
    """Every op of the registry (and every fused op) appears in a spec the oracle runs."""
    seen = set()
    for path in spec_files():
        result = check_path(str(path))
        if result.graph is None:
            continue
        for layer in result.graph.layers:
            seen.add(layer.type)
            seen.update(layer.fused)
    missing = sorted(set(REGISTRY) - seen)
    assert not missing, f"ops with no PyTorch oracle coverage (add them to tests/data/torch_ops): {missing}"


def test_mobilenet_v2_matches_torchvision_params():
    path = ROOT / "specs" / "mobilenet_v2.yaml"
    if not path.exists():
        pytest.skip("specs/mobilenet_v2.yaml is not in the tree")
    model = build(str(path))
    assert sum(p.numel() for p in model.parameters()) == 3_504_872


def test_width_override_reaches_the_module():
    path = ROOT / "specs" / "mobilenet_v2.yaml"
    if not path.exists():
        pytest.skip("specs/mobilenet_v2.yaml is not in the tree")
    result = checked(path, width=1.4)
    model = build(result.graph)
    assert sum(p.numel() for p in model.parameters()) == result.totals.params == 6_108_776


def test_export_command_writes_a_runnable_file(tmp_path):
    spec = ROOT / "specs" / "mobilenet_v2.yaml"
    if not spec.exists():
        pytest.skip("specs/mobilenet_v2.yaml is not in the tree")
    out = tmp_path / "m.py"
    run = subprocess.run([sys.executable, "-m", "netspec", "export", str(spec), "--to", "torch", "-o", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    source = out.read_text()
    assert source.startswith('"""mobilenet_v2') and "import torch" in source
    assert source.count("(nn.Module):") == 1
    run = subprocess.run([sys.executable, str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "output shape: (1, 1000)" in run.stdout
    assert "params: 3504872" in run.stdout


def test_export_set_override_and_stdout(tmp_path, write):
    spec = write("net.yaml", """\
netspec: 1
name: small-net.v2
input: {height: 8, width: 8, channels: 3}
params: {width: 4}
layers:
  - {name: class, type: conv, filters: "${width}", kernel: 3}
  - {name: forward, type: relu}
  - {name: x, type: global_avgpool}
""")
    run = subprocess.run([sys.executable, "-m", "netspec", "export", spec, "--to", "torch", "--set", "width=6"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    src = run.stdout
    assert "class SmallNetV2(nn.Module):" in src
    assert "self.class_ = nn.Conv2d(3, 6, kernel_size=3, padding=1)" in src
    assert "self.forward_ = nn.ReLU()" in src and "self.x_ = " in src
    namespace = {"__name__": "generated"}
    exec(compile(src, "generated.py", "exec"), namespace)
    model = namespace["SmallNetV2"]().eval()
    assert tuple(model(torch.randn(1, 3, 8, 8)).shape) == (1, 6)


def test_export_of_a_broken_spec_prints_diagnostics_and_exits_1(write):
    spec = write("bad.yaml", """\
netspec: 1
name: bad
input: {height: 8, width: 8, channels: 3}
layers:
  - {type: conv, filters: 8, kernel: 3, groups: 5}
""")
    run = subprocess.run([sys.executable, "-m", "netspec", "export", spec, "--to", "torch"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert f"{spec}:5:" in run.stderr and "error[NS205]" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_export_usage_errors(write, tmp_path):
    spec = write("ok.yaml", "netspec: 1\nname: ok\ninput: {channels: 3}\nlayers:\n  - {type: dense, units: 2}\n")
    run = subprocess.run([sys.executable, "-m", "netspec", "export", spec, "--to", "onnx"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "unknown export target 'onnx'" in run.stderr
    run = subprocess.run([sys.executable, "-m", "netspec", "export", str(tmp_path / "missing.yaml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "NS001" in run.stderr and "Traceback" not in run.stderr


def test_build_refuses_a_broken_spec(write):
    spec = write("bad.yaml", "netspec: 1\nname: bad\ninput: {channels: 3}\nlayers:\n  - {type: conv, filters: 2}\n")
    with pytest.raises(ExportError) as info:
        build(spec)
    assert info.value.diagnostics


def test_names_are_sanitised_and_distinct():
    result = check_text("""\
netspec: 1
name: names
input: {channels: 4}
blocks:
  b:
    layers:
      - {name: dw, type: dense, units: 4}
layers:
  - {name: b, type: b, repeat: 2}
  - {name: b_1_dw, type: relu}
  - {name: training, type: relu}
  - {name: my-layer, type: relu}
  - {name: __init__, type: relu}
  - {name: lambda, type: relu}
""")
    assert result.ok, result.diagnostics
    names = attribute_names(result.graph)
    assert names == ["b_0_dw", "b_1_dw", "b_1_dw_2", "training_", "my_layer", "layer__init__",
                     "lambda_"]
    model = build(result.graph)
    assert set(model.netspec_layers.values()) == set(names)


def test_reserved_names_cover_nn_module():
    public = {n for n in dir(torch.nn.Module) if not n.startswith("_")}
    assert public <= MODULE_MEMBERS, sorted(public - MODULE_MEMBERS)
    assert all(sanitize(n).endswith("_") for n in public)


def test_source_shape_of_the_generated_file():
    result = checked(OPS / "image_ops.yaml")
    src = to_source(result.graph)
    compile(src, "image_ops.py", "exec")
    assert src.count("(nn.Module):") == 1
    assert 'if __name__ == "__main__":' in src
    assert "nn.ZeroPad2d((0, 1, 0, 1))" in src  # `same`, stride 2, on 17x15: the odd pixel after
    assert 'nn.ConstantPad2d(' in src and 'float("-inf")' in src
    assert "nn.ConvTranspose2d(" in src and "nn.Upsample(scale_factor=1.5, mode=\"bilinear\"" in src


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_upsample_sizes_agree_with_torch(mode):
    """floor(size x scale) for fractional scales and odd sizes; an empty result is refused by both."""
    for scale in (0.3, 0.5, 0.7, 1.3, 1.5, 2, 2.5, 3):
        for h, w in ((1, 5), (3, 7), (5, 1), (7, 9), (11, 4)):
            text = (f"netspec: 1\nname: up\ninput: {{height: {h}, width: {w}, channels: 2}}\nlayers:\n"
                    f"  - {{type: upsample, scale: {scale}, mode: {mode}}}\n")
            result = check_text(text)
            if result.graph is None:
                assert [d.code for d in result.diagnostics if d.severity == "error"] == ["NS204"]
                with pytest.raises(RuntimeError):
                    torch.nn.Upsample(scale_factor=scale, mode=mode)(torch.randn(1, 2, h, w))
                continue
            problems = compare_export(result.graph, result.totals)
            assert not problems, (scale, h, w, problems)


def test_broadcasts_across_ranks_agree_with_torch():
    """add/multiply right-align channels-last shapes, as NumPy: a vector, a row, one channel over an image."""
    result = check_text("""\
netspec: 1
name: broadcasts
input: {height: 3, width: 4, channels: 2}
layers:
  - {name: col, type: avgpool, kernel: [3, 1]}                 # 1x4x2: one row
  - {name: vec, type: global_avgpool}                          # 2
  - {name: narrow, type: conv, filters: 1, kernel: 1, inputs: [input]}   # 3x4x1
  - {name: a, type: add, inputs: [vec, input, col]}
  - {name: m, type: multiply, inputs: [narrow, vec], activation: relu}  # 3x4x1 * 2 -> 3x4x2
  - {name: out, type: add, inputs: [m, a, vec]}
""")
    assert result.ok, result.diagnostics
    assert [l.output for l in result.graph.layers][-3:] == [(3, 4, 2), (3, 4, 2), (3, 4, 2)]
    problems = compare_export(result.graph, result.totals)
    assert not problems, problems
