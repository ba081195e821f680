"""torchvision's CNNs, imported straight from PyTorch, count exactly what PyTorch counts.

torchvision cannot be imported here, so tests/cnn_refs.py rebuilds ResNet-50, MobileNetV2 and
EfficientNet-B0 after torchvision's definitions; their parameter counts are torchvision's published
ones (asserted below, so the references are faithful). Each is exported to ONNX the way `netspec
import --torch` does and imported; the imported spec's params and MACCs must equal PyTorch's own
count of the module (parameters, FlopCounterMode / 2) and its output must be the 1000 classes.
EfficientNet-B0 goes through the real command line (`--torch tests.cnn_refs:EfficientNetB0`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnx", reason="netspec import needs onnx: pip install 'netspec-cli[onnx]'")
torch = pytest.importorskip("torch", reason="the PyTorch references need torch")

import cnn_refs  # noqa: E402
from import_checks import imported  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from netspec.importer.from_torch import export_module  # noqa: E402
from netspec.pipeline import check_path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# torchvision's published parameter counts (its model docs / weights metadata)
PUBLISHED = {"ResNet50": 25_557_032, "MobileNetV2": 3_504_872, "EfficientNetB0": 5_288_548}


def pytorch_count(model) -> tuple[int, int]:
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        y = model.eval()(torch.randn(1, 3, 224, 224))
    assert tuple(y.shape) == (1, 1000)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


@pytest.mark.parametrize("name", ["ResNet50", "MobileNetV2"])
def test_torchvision_model_imports_exactly(name):
    torch.manual_seed(0)
    model = getattr(cnn_refs, name)()
    params, maccs = pytorch_count(model)
    assert params == PUBLISHED[name]
    data = export_module(model, (3, 224, 224))
    for blocks in (False, True):
        _, result = imported(data, name, blocks=blocks)
        assert (result.totals.params, result.totals.maccs) == (params, maccs)
        assert result.graph.shape_of(result.graph.output_ref) == (1000,)


def test_efficientnet_b0_through_the_command_line(tmp_path):
    torch.manual_seed(0)
    params, maccs = pytorch_count(cnn_refs.EfficientNetB0())
    assert params == PUBLISHED["EfficientNetB0"]
    assert round(maccs / 1e9, 2) == 0.39  # torchvision's published 0.39 GFLOPS (multiply-adds)
    out = tmp_path / "efficientnet_b0.yaml"
    run = subprocess.run([sys.executable, "-m", "netspec", "import", "--torch", "tests.cnn_refs:EfficientNetB0",
                          "--blocks", "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    text = out.read_text()
    assert "activation: swish" in text and "type: multiply" in text  # SiLU, and squeeze-excitation's scale
    result = check_path(str(out))
    assert result.ok and (result.totals.params, result.totals.maccs) == (params, maccs)
    assert result.graph.shape_of(result.graph.output_ref) == (1000,)
