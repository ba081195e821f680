"""`netspec import`: the round trip over the zoo (the oracle), and the command's behaviour.

Round trip: every spec in specs/ (globbed on every run) is exported to PyTorch, exported to ONNX
the way `import --torch` does, imported, and checked: params, MACCs and output shape must equal
the original's exactly. The command's behaviour is tested on small ONNX graphs written here with
onnx.helper (no torch needed): all inexpressible nodes named, nothing written, --allow-partial,
never over an existing file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx", reason="netspec import needs onnx: pip install 'netspec-cli[onnx]'")

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ZOO = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("specs/**/*.yaml"))


# ------------------------------------------------------------------------------------------------
# small hand-written ONNX graphs

def weight(name, *dims):
    return numpy_helper.from_array(np.zeros(dims, dtype=np.float32), name)


def model(nodes, inits, shape=(1, 3, 8, 8), out="y", opset=18) -> bytes:
    graph = helper.make_graph(nodes, "hand", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def conv_net(*tail) -> bytes:
    """x -> Conv 3->8 3x3 pad 1 -> BatchNorm -> Relu -> tail nodes (reading "r", the last writing "y")."""
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="/stem/Conv", kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["n"], name="/bn/BatchNormalization"),
             helper.make_node("Relu", ["n"], ["r"], name="/act/Relu"), *tail]
    inits = [weight("w", 8, 3, 3, 3), weight("b", 8), *(weight(n, 8) for n in ("g", "be", "m", "v"))]
    return model(nodes, inits)


@pytest.fixture
def onnx_file(tmp_path):
    def write(data: bytes, name: str = "m.onnx") -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)
    return write


def test_a_small_graph_imports_with_fusion(onnx_file, cli, tmp_path):
    path = onnx_file(conv_net(helper.make_node("GlobalAveragePool", ["r"], ["p"], name="/pool/GlobalAveragePool"),
                              helper.make_node("Flatten", ["p"], ["y"], name="/flat/Flatten")))
    out = tmp_path / "m.yaml"
    run = cli("import", path, "-o", str(out))
    assert run.code == 0, run.err
    text = out.read_text()
    # conv 3->8 3x3 with its own bias, then BN and ReLU fused: bias kept explicit (the default turns off with BN)
    assert "- {name: stem, type: conv, filters: 8, kernel: 3, batchnorm: true, activation: relu, bias: true}" in text
    assert "- {name: pool, type: global_avgpool}" in text
    assert "flat" not in text  # flattening a pooled vector is no layer
    check = cli("check", str(out), "-f", "json")
    assert check.code == 0, check.out
    # 8*3*3*3 + 8 (bias) + 2*8 (batch norm), hand-counted
    assert '"params": 240' in check.out


def test_every_inexpressible_node_is_named_and_nothing_is_written(onnx_file, cli, tmp_path):
    path = onnx_file(conv_net(helper.make_node("Sinh", ["r"], ["a"], name="/m1/Sinh"),
                              helper.make_node("Erf", ["a"], ["y"], name="/m2/Erf")))
    out = tmp_path / "m.yaml"
    run = cli("import", path, "-o", str(out))
    assert run.code == 1
    assert f"{path}: error: node '/m1/Sinh' (Sinh): no netspec layer computes Sinh" in run.err
    assert f"{path}: error: node '/m2/Erf' (Erf): no netspec layer computes Erf" in run.err
    assert "no spec written" in run.err and not out.exists()
    assert "Traceback" not in run.err


def test_allow_partial_marks_each_gap_with_a_note(onnx_file, cli, tmp_path):
    path = onnx_file(conv_net(helper.make_node("Sinh", ["r"], ["y"], name="/m1/Sinh")))
    out = tmp_path / "m.yaml"
    run = cli("import", path, "-o", str(out), "--allow-partial")
    assert run.code == 1 and out.exists()
    text = out.read_text()
    assert "type: identity" in text and "note: \"ONNX Sinh '/m1/Sinh' not expressed" in text
    assert "PARTIAL" in text
    assert cli("check", str(out)).code == 0


def test_a_gap_that_changes_the_shape_is_not_bridged(onnx_file, cli, tmp_path):
    path = onnx_file(conv_net(helper.make_node("SpaceToDepth", ["r"], ["y"], name="/s2d", blocksize=2)))
    out = tmp_path / "m.yaml"
    run = cli("import", path, "-o", str(out), "--allow-partial")
    assert run.code == 1 and not out.exists()
    assert "(SpaceToDepth)" in run.err and "cannot bridge" in run.err


def test_an_existing_output_is_never_overwritten_without_force(onnx_file, cli, tmp_path):
    path = onnx_file(conv_net(helper.make_node("Identity", ["r"], ["y"])))
    out = tmp_path / "m.yaml"
    out.write_text("mine\n")
    run = cli("import", path, "-o", str(out))
    assert run.code == 2 and "exists; use --force" in run.err and out.read_text() == "mine\n"
    assert cli("import", path, "-o", str(out), "--force").code == 0
    assert out.read_text().startswith("# Imported by `netspec import`")
    run = cli("import", path, "-o", path, "--force")
    assert run.code == 2 and "is the model being imported" in run.err


def test_stdout_and_the_name(onnx_file, cli):
    path = onnx_file(conv_net(helper.make_node("Identity", ["r"], ["y"])), "My Net.onnx")
    run = cli("import", path, "--name", "Edge Net v2")
    assert run.code == 0 and "\nname: edge_net_v2\n" in run.out
    run = cli("import", path)
    assert "\nname: hand\n" in run.out  # the graph's own name


def test_usage_errors(cli, tmp_path):
    assert cli("import").code == 2
    run = cli("import", str(tmp_path / "missing.onnx"))
    assert run.code == 1 and "cannot read" in run.err


def test_importing_a_file_never_imports_torch(onnx_file):
    path = onnx_file(conv_net(helper.make_node("Identity", ["r"], ["y"])))
    probe = ("import sys\nfrom netspec.cli import main\n"
             f"try:\n    main(['import', {path!r}])\nexcept SystemExit:\n    pass\n"
             "print('torch' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stderr.strip().splitlines()[-1] == "False", out.stderr


def test_check_never_imports_onnx():
    probe = ("import sys\nfrom netspec.cli import main\n"
             "try:\n    main(['check', 'specs/tiny.yaml', '-q'])\nexcept SystemExit:\n    pass\n"
             "print('onnx' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False False", out.stderr


# ------------------------------------------------------------------------------------------------
# the round trip over the zoo

@pytest.mark.parametrize("spec", ZOO)
def test_zoo_round_trip(spec):
    pytest.importorskip("torch", reason="the round trip exports with PyTorch")
    from import_checks import round_trip_problems, zoo_import

    original, _, result = zoo_import(str(ROOT / spec))
    problems = round_trip_problems(original, result)
    assert not problems, "\n".join(problems)


def _chain(graph) -> bool:
    """Every layer reads the one before it (the first, the input)."""
    from netspec.graph import INPUT

    return all(layer.inputs == ([i - 1] if i else [INPUT]) for i, layer in enumerate(graph.layers))


@pytest.mark.parametrize("spec", ZOO)
def test_zoo_round_trip_with_blocks(spec):
    """--blocks counts exactly as the flat import does; a chain-shaped spec comes back with at most
    twice its top-level entries (the original's own, counted in its file)."""
    pytest.importorskip("torch", reason="the round trip exports with PyTorch")
    from import_checks import round_trip_problems, top_level_entries, zoo_import

    original, text, result = zoo_import(str(ROOT / spec), blocks=True)
    problems = round_trip_problems(original, result)
    assert not problems, "\n".join(problems)
    if _chain(original.graph):
        written = top_level_entries((ROOT / spec).read_text())
        assert top_level_entries(text) <= 2 * written, text


def test_resnet50_imports_as_a_person_writes_it():
    """Two bottleneck blocks (with and without the projection shortcut), called per stage with
    repeat: 12 top-level entries for the original's 8, every count exact."""
    pytest.importorskip("torch", reason="the round trip exports with PyTorch")
    from import_checks import exported_spec, imported, top_level_entries

    _, data = exported_spec(str(ROOT / "specs" / "resnet50.yaml"))
    text, result = imported(data, "resnet50", blocks=True)
    assert top_level_entries(text) == 12, text
    blocks = text.split("\nblocks:\n", 1)[1].split("\nlayers:\n", 1)[0]
    assert blocks.count("    layers:\n") == 2
    assert "repeat: 5" in text  # layer3's five bottlenecks after the first
    assert result.totals.params == 25_557_032 and result.totals.maccs == 4_089_184_256  # torchvision's figures
