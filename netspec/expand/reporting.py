"""Expansion's diagnostics: each mistake reported once, and the work bounded by --max-layers.

`Reporting` is the part of `Expander` that records diagnostics (`report`) and counts every layer
instance gone through (`tick`), ending expansion with NS212 when a limit is passed. The two
exceptions below are how the other parts give up on an entry (`Skip`) or on the whole spec
(`Stop`).
"""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic
from ..loader import PosDict

POISON = -2  # reference to a tensor whose shape is unknown because of an earlier error
INT64_MAX = 2**63 - 1
# Work and size bounds that scale with --max-layers (see NS216, NS217).
STEPS_PER_LAYER = 100  # expression evaluation steps per allowed layer
TEXT_PER_LAYER = 640  # characters of names, input names and call chains per allowed layer
CALL_TEXT = 50  # one block call in a layer's call chain, as characters of a report
MAX_NAME = 1_000  # characters of one layer's full name, block-call prefixes included
COMMON_KEYS = ("type", "name", "inputs", "repeat", "when", "activation", "batchnorm", "bias", "note")
_INSTANCE = re.compile(r"^[A-Za-z0-9_.-]+: ")  # the `stage3.1.dw: ` that starts a layer's message


class Skip(Exception):
    """This entry cannot be expanded; a diagnostic (if any) was already recorded."""


class Stop(Exception):
    """A global limit was hit; expansion ends."""


class Reporting:
    """Diagnostics and instance counting. Reads `limits`, `graph`; writes `diags`, `reported`,
    `visited`, `references` (all set up by `Expander.__init__`)."""

    def report(self, code: str, message: str, node, key=None, path: str = "") -> None:
        span = None
        if isinstance(node, PosDict):
            span = node.value_span(key) if key is not None and key in node else node.span
        # One mistake once: the repetitions of a layer (or the calls of a block) that fail the
        # same way at the same node are reported for the first instance only.
        seen = (code, path, span, _INSTANCE.sub("", message, count=1))
        if seen in self.reported:
            return
        self.reported.add(seen)
        self.diags.append(Diagnostic(code, message, path=path).at(span))

    def tick(self, entry, path: str, entries=None, index: int = 0) -> None:
        """Count one instance gone through: a layer kept, dropped by `when` or failed, or a block call.

        --max-layers bounds this count too, so the work of expansion is bounded even when few
        layers reach the graph (`when: false` under nested repeats, or a failing layer repeated);
        and the input references of all instances are bounded by 10 x --max-layers (an `add` of
        100,000 inputs repeated 10,000 times).
        """
        self.visited += 1
        inputs = entry.get("inputs") if isinstance(entry, PosDict) else None
        self.references += len(inputs) if isinstance(inputs, list) else 1
        limit = self.limits.max_layers
        if self.visited <= limit and self.references <= 10 * limit:
            return
        span = None
        if isinstance(entry, PosDict):
            span = entry.value_span("type") if "type" in entry else entry.span
        elif entries is not None and hasattr(entries, "item_span"):
            span = entries.item_span(index)
        if self.graph is not None and len(self.graph.layers) >= self.limits.max_layers:
            what = f"the expanded network has more than {self.limits.max_layers:,} layers"
        elif self.references > 10 * limit:
            what = (f"the layers of the expanded network read more than {10 * limit:,} inputs in all "
                    "(10 per allowed layer)")
        else:
            what = (f"expansion goes through more than {self.limits.max_layers:,} layer instances (block calls, "
                    "layers dropped by `when` and layers with errors count too)")
        self.diags.append(Diagnostic("NS212", f"{what} (raise the limit with --max-layers)", path=path).at(span))
        raise Stop
