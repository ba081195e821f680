"""Hostile and malformed ONNX files: `netspec import` ends each with a diagnostic and exit 1, in
bounded time and memory, never a traceback, and writes nothing.

The corpus is tests/hostile/onnx/ (made by its make.py, which says how each file was built). Each
row below was worked out from how the file was made, not copied from netspec's output.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnx", reason="netspec import needs onnx: pip install 'netspec-cli[onnx]'")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "hostile" / "onnx"

# file -> what the one-line diagnostic must say
CASES = {
    "not_protobuf.onnx": "not an ONNX model: the protobuf does not parse",
    "truncated.onnx": "not an ONNX model: the protobuf does not parse",
    "empty.onnx": "not an ONNX model: it has no graph nodes",  # zero bytes parse as an empty message
    # 8 x 4 x 4096 x 4096 floats = 536,870,912 elements = 2 GiB claimed, 16 bytes held
    "initializer_2gb_claim.onnx": "initializer 'w' claims dims [8, 4, 4096, 4096] (536,870,912 elements, "
                                  "2,147,483,648 bytes) but holds 16 bytes",
    "initializer_dims_overflow.onnx": "initializer 'w' has impossible dims [1099511627776, 1099511627776, 3, 3]",
    "external_data_outside.onnx": "points its external data outside the model's folder ('../../../etc/passwd')",
    "external_data_absolute.onnx": "points its external data outside the model's folder ('/etc/passwd')",
    "external_data_missing.onnx": "its external data file 'weights.bin' is missing",
    "cyclic_graph.onnx": "the graph has a cycle through 3 node(s)",
    "dangling_input.onnx": "node '/add/Add' (Add): reads 'ghost', which no node produces",
    "two_producers.onnx": "its output 'y' is also produced by another node",
    "two_inputs.onnx": "netspec specs have one input; this graph has 2 ('x', 'z')",
    "symbolic_height.onnx": "the input 'x' has a symbolic dimension 2 (h)",
    "weight_does_not_fit.onnx": "node '/conv/Conv' (Conv): its weight [8, 5, 3, 3] in 1 group(s) does not fit "
                                "the 3 input channels",
    "custom_domain_op.onnx": "node '/evil' (Evil): no netspec layer computes com.example.Evil",
    "if_subgraph.onnx": "node '/if/If' (If): no netspec layer computes If",
}

# run in a subprocess under 512 MiB of address space and 10 s of CPU
BOUNDED = {"initializer_2gb_claim.onnx", "initializer_dims_overflow.onnx", "cyclic_graph.onnx", "not_protobuf.onnx"}


def test_every_corpus_file_has_a_row():
    assert {p.name for p in CORPUS.glob("*.onnx")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_onnx(name, cli, tmp_path):
    path = str(CORPUS / name)
    out = tmp_path / "out.yaml"
    if name in BOUNDED:
        def limits():
            resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))
            resource.setrlimit(resource.RLIMIT_CPU, (10, 12))

        proc = subprocess.run([sys.executable, "-m", "netspec", "import", path, "-o", str(out)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120, preexec_fn=limits)
        code, err = proc.returncode, proc.stderr
    else:
        run = cli("import", path, "-o", str(out))
        code, err = run.code, run.err
    assert "Traceback" not in err and "NS000" not in err and "MemoryError" not in err, err
    assert code == 1, err
    assert f"{path}: error: " in err and CASES[name] in err, err
    assert not out.exists()


def test_a_file_over_the_size_limit(cli, tmp_path):
    big = tmp_path / "big.onnx"
    with open(big, "wb") as fh:  # sparse: never read
        fh.truncate(3 * 1024 * 1024)
    run = cli("import", str(big), "--max-file-size", "1MiB")
    assert run.code == 1 and "over the limit of 1,048,576" in run.err


def test_the_corpus_is_what_make_py_writes(tmp_path):
    """The committed files are the script's output, byte for byte (so the table above describes them)."""
    import shutil

    shutil.copy(CORPUS / "make.py", tmp_path / "make.py")
    subprocess.run([sys.executable, str(tmp_path / "make.py")], check=True, capture_output=True, timeout=120)
    for name in CASES:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name
