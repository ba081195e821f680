"""`netspec import`: an ONNX graph (a file, or a PyTorch model exported in memory) as a readable spec.

The stages, one module each: `onnx_model` reads the file defensively (size, protobuf, initializer
claims, external data, cycles) and prepares the graph (shape inference, constant folding);
`mapping` turns ONNX nodes into netspec layers (fusing batch norm, activations and pads, keeping
track of the layout); `blocks` folds repeated subgraphs into blocks with `repeat` (`--blocks`);
`emit` writes the YAML; `command` wires them, checks the result with netspec itself and writes
the file. `from_torch` builds a model from `package.module:factory` and exports it to ONNX.

Only this package imports `onnx` (and `from_torch` imports torch); `netspec check` never comes here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the import cannot express or read: where (an ONNX node, or None for the file) and why."""

    message: str
    node: str | None = None
    op_type: str | None = None

    def render(self, source: str) -> str:
        where = f"node {self.node!r} ({self.op_type}): " if self.op_type else ""
        return f"{source}: error: {where}{self.message}"


class ImportFailure(Exception):
    """The model cannot be imported at all; `problems` says why (every one found)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
