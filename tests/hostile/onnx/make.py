"""Writes the hostile ONNX corpus of this folder (run from anywhere: python tests/hostile/onnx/make.py).

Each file is one malformed or hostile model, named for what it is; tests/test_import_hostile.py
holds what `netspec import` must say about each. The files are committed; this script says how
each was made and rewrites them byte for byte (onnx's serialisation is deterministic).
"""

from __future__ import annotations

import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inits=(), inputs=None, outputs=None) -> bytes:
    graph = helper.make_graph(list(nodes), "hostile", inputs or [vi("x", [1, 3, 8, 8])],
                              outputs or [vi("y", None)], list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()


def conv_weight(name="w", dims=(8, 3, 3, 3)):
    return numpy_helper.from_array(np.zeros(dims, dtype=np.float32), name)


def conv(inp="x", out="y", w="w"):
    return helper.make_node("Conv", [inp, w], [out], name="/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])


def claim(name, dims, raw: bytes = b"\0" * 16, external=None):
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(dims))
    if external is None:
        t.raw_data = raw
    else:
        t.data_location = TensorProto.EXTERNAL
        for k, v in external.items():
            e = t.external_data.add()
            e.key, e.value = k, v
    return t


CASES = {
    # bytes that are not an ONNX protobuf at all
    "not_protobuf.onnx": b"netspec: 1\nname: a spec, not a model\n",
    "empty.onnx": b"",
    "truncated.onnx": model([conv()], [conv_weight()])[:150],
    # an initializer that claims 2 GiB (8 x 4 x 4096 x 4096 = 2**29 floats) and holds 16 bytes
    "initializer_2gb_claim.onnx": model([conv()], [claim("w", (8, 4, 4096, 4096))]),
    "initializer_dims_overflow.onnx": model([conv()], [claim("w", (2**40, 2**40, 3, 3))]),
    # external data: outside the model's folder, absolute, and missing
    "external_data_outside.onnx": model([conv()], [claim("w", (8, 3, 3, 3), external={"location": "../../../etc/passwd"})]),
    "external_data_absolute.onnx": model([conv()], [claim("w", (8, 3, 3, 3), external={"location": "/etc/passwd"})]),
    "external_data_missing.onnx": model([conv()], [claim("w", (8, 3, 3, 3), external={"location": "weights.bin"})]),
    # graphs that are not DAGs of known values
    "cyclic_graph.onnx": model([helper.make_node("Relu", ["x2"], ["x1"], name="/a/Relu"),
                                helper.make_node("Add", ["x", "x1"], ["x2"], name="/b/Add"),
                                helper.make_node("Relu", ["x2"], ["y"], name="/c/Relu")]),
    "dangling_input.onnx": model([helper.make_node("Add", ["x", "ghost"], ["y"], name="/add/Add")]),
    "two_producers.onnx": model([helper.make_node("Relu", ["x"], ["y"], name="/a/Relu"),
                                 helper.make_node("Sigmoid", ["x"], ["y"], name="/b/Sigmoid")]),
    # inputs netspec cannot take
    "two_inputs.onnx": model([helper.make_node("Add", ["x", "z"], ["y"], name="/add/Add")],
                             inputs=[vi("x", [1, 3, 8, 8]), vi("z", [1, 3, 8, 8])]),
    "symbolic_height.onnx": model([conv()], [conv_weight()], inputs=[vi("x", [1, 3, "h", 8])]),
    # weights that do not fit the input: 5 input channels on a 3-channel image
    "weight_does_not_fit.onnx": model([conv()], [conv_weight(dims=(8, 5, 3, 3))]),
    # an op from a custom domain, and control flow with a subgraph
    "custom_domain_op.onnx": model([helper.make_node("Evil", ["x"], ["y"], name="/evil", domain="com.example")]),
    "if_subgraph.onnx": model(
        [helper.make_node("Constant", [], ["c"], name="/c", value=numpy_helper.from_array(np.array(True))),
         helper.make_node("If", ["c"], ["y"], name="/if/If",
                          then_branch=helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then", [],
                                                        [vi("t", [1, 3, 8, 8])]),
                          else_branch=helper.make_graph([helper.make_node("Sigmoid", ["x"], ["e"])], "else", [],
                                                        [vi("e", [1, 3, 8, 8])]))]),
}


def main() -> None:
    for name, data in CASES.items():
        with open(os.path.join(HERE, name), "wb") as fh:
            fh.write(data)
    print(f"wrote {len(CASES)} files to {HERE}")


if __name__ == "__main__":
    main()
