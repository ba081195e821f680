"""JSON: the stable contract (`version: 1`), exact integers everywhere.

Written as a stream: each file's facts are indented as usual, and its layers follow one per line,
so a report of 100,000 layers never holds all their dictionaries (a few GB) at once, and the
layers go through json's C encoder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from .facts import file_dict, layer_dicts

_MARK = "\x00layers\x00"  # stands in for a network's layers (json writes it as "\u0000layers\u0000")


def render(report) -> Iterator[str]:
    yield '{\n  "version": 1,\n  "files": ['
    for k, result in enumerate(report.results):
        doc = file_dict(result, layers=False)
        if doc["network"] is not None:
            doc["network"]["layers"] = _MARK
        text = json.dumps(doc, indent=2).replace("\n", "\n    ")
        yield ("," if k else "") + "\n    "
        if doc["network"] is None:
            yield text
            continue
        head, _, tail = text.partition(json.dumps(_MARK))
        yield head + "["
        for i, layer in enumerate(layer_dicts(result)):
            yield ("," if i else "") + "\n          " + json.dumps(layer, separators=(", ", ": "))
        yield ("\n        ]" if result.graph.layers else "]") + tail
    yield ("\n  ]" if report.results else "]") + "\n}\n"
