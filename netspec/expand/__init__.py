"""Stage 3, expand: params, expressions, blocks, repeat and when -> one flat graph of layers.

Expansion is shape-aware: expressions may read `in_channels`, `in_height`, ... so each layer's
output shape is inferred (stage 4, `infer.infer_layer`) the moment the layer is appended. Entries
the schema stage already rejected are "poisoned": they and everything reading them are skipped
silently, so one mistake is reported once, and all independent mistakes are still found.

Two things keep it linear and cheap on big specs. An entry's literal attributes are normalised
once, not per instance (`values.make_plan`). And a block call is a function of its block, evaluated
arguments, input shape and call chain, unless its body reads a layer outside the call by name:
the first clean call of each such key is recorded and later ones are replayed (`calls.Template`),
which gives the same layers, names and sources as expanding them again (tests/test_expand_replay.py).

Modules: `expander` (the walk: the spec, its input, its lists), `instances` (`repeat`, `when`,
one layer), `scopes` (names and references), `values` (params, expressions, attributes), `calls`
(block calls and replay), `reporting` (diagnostics once, limits).
"""

from .expander import Expander, bad_entry_paths, expand

__all__ = ["Expander", "bad_entry_paths", "expand"]
