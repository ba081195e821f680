"""`netspec explain`: for every code, a minimal bad example and the fix (as `ruff rule` does).

The code, its name, severity, summary and longer doc live in `diagnostics.CODES`; this module adds
what only the explanation needs, so the checking path never loads it. An example is a whole spec
(tests/test_explain.py checks that it produces its code) or, where a file cannot show it, a
command line starting with `$`.
"""

from __future__ import annotations

_SPEC = "netspec: 1\nname: net\ninput: {height: 32, width: 32, channels: 3}\nlayers:\n"

# code -> (bad example, fix)
EXAMPLES: dict[str, tuple[str, str]] = {
    "NS000": ('',
              'Rerun with --debug and report the traceback with the spec that caused it.'),
    "NS001": ('$ netspec check specs/missing.yaml',
              'Check the path; a directory is scanned for *.yaml/*.yml instead.'),
    "NS002": (_SPEC + '  - {type: conv, filters: 16, kernel: 3\n',
              'Close the bracket or quote the position points at; `yamllint` shows the same spot.'),
    "NS003": (_SPEC + '  - {type: conv, filters: 16, filters: 32, kernel: 3}\n',
              'Keep one of the two keys.'),
    "NS004": (_SPEC + '  - !!python/object:os.system {type: relu}\n',
              'Remove the tag: a spec is plain mappings, lists, strings and numbers.'),
    "NS005": ('# only a comment\n',
              'Write at least `netspec: 1`, `name:`, `input:` and `layers:`.'),
    "NS006": ('- {type: conv, filters: 16, kernel: 3}\n',
              'Put the layer list under `layers:` in a mapping with `netspec:`, `name:` and `input:`.'),
    "NS007": ("$ printf 'name: \\xff' > bad.yaml && netspec check bad.yaml",
              'Save the file as UTF-8 text.'),
    "NS008": (_SPEC + '  - {type: conv, filters: 016, kernel: 3}\n',
              'Write `16` (or `0o16` if octal was meant).'),
    "NS009": (_SPEC + '  - {type: relu}\n---\nname: second\n',
              'Keep one spec per file.'),
    "NS010": ('$ netspec check huge.yaml --max-file-size 1KiB',
              'Raise --max-file-size if the file is genuine.'),
    "NS011": ('$ netspec check laughs.yaml   # nine levels of aliases, each ten times the one before',
              'Do not use aliases to multiply data; raise --max-yaml-nodes if it is genuine.'),
    "NS012": ('$ netspec check deep.yaml --max-depth 8',
              'Flatten the structure; raise --max-depth if it is genuine.'),
    "NS013": (_SPEC + '  - {[type]: conv, filters: 16, kernel: 3}\n',
              'Use plain string keys.'),
    "NS101": (_SPEC + '  - {type: conv, filter: 16, kernel: 3}\n',
              'Spell the key as the layer type defines it (`filters`); `netspec schema` lists every key.'),
    "NS102": (_SPEC + '  - {type: conv, kernel: 3}\n',
              'Add the missing key (`filters: 16`).'),
    "NS103": (_SPEC + '  - {type: conv, filters: sixteen, kernel: 3}\n',
              'Give a value of the type the key takes (a number, or an expression "${...}").'),
    "NS104": (_SPEC + '  - {type: conv, filters: 16, kernel: -3}\n',
              'Use a value in the allowed range or list (`kernel: 3`, `padding: same`).'),
    "NS105": (_SPEC + '  - {type: convolution, filters: 16, kernel: 3}\n',
              'Use a layer type netspec knows (`conv`), or define a block of that name under `blocks:`.'),
    "NS106": (_SPEC + '  - {type: conv, filters: 16, kernel: 3}\nbudget: {maccs: lots}\n',
              'Write a number with an optional suffix: `300M`, `1.5G`, `8MiB`; a latency with its unit: `5ms`.'),
    "NS107": ('$ netspec check generated.yaml   # 100,000 layers with the same misspelt key',
              'Fix the mistake where the layers are generated, then check again.'),
    "NS201": (_SPEC + '  - {type: conv, filters: "${16 * widht}", kernel: 3}\n',
              'Fix the expression: only numbers, `params`, block args, `i`, `in_*` and the listed functions.'),
    "NS202": (_SPEC + '  - {type: conv, filters: 16, kernel: 3}\n  - {type: add, inputs: [-1, stem]}\n',
              'Name an existing layer (or `input`), or count back no further than the input.'),
    "NS203": (_SPEC + '  - {name: a, type: conv, filters: 16, kernel: 3}\n  - {name: b, type: conv, filters: 32, kernel: 3}\n  - {type: add, inputs: [a, b]}\n',
              'Make the inputs agree: add a 1x1 conv to match channels, or a stride to match sizes.'),
    "NS204": (_SPEC + '  - {type: conv, filters: 16, kernel: 64, padding: valid}\n',
              'Use a smaller kernel or stride, or pad the input (`padding: same`).'),
    "NS205": (_SPEC + '  - {type: conv, filters: 16, kernel: 3, groups: 2}\n',
              'Pick `groups` that divides both the input and the output channels.'),
    "NS206": ('netspec: 1\nname: net\ninput: {channels: 100}\nlayers:\n  - {type: conv, filters: 16, kernel: 3}\n',
              'Give the layer the tensor it needs (an image for conv and pooling; `flatten` only on an image or sequence).'),
    "NS207": (_SPEC + '  - {name: a, type: conv, filters: 16, kernel: 3}\n  - {name: a, type: relu}\n',
              'Give every layer in a scope its own name.'),
    "NS208": (_SPEC + '  - {type: loop}\nblocks:\n  loop:\n    layers:\n      - {type: loop}\n',
              'A block cannot call itself; repeat it with `repeat: n` instead.'),
    "NS209": (_SPEC + '  - {name: a, type: add, inputs: [-1, b]}\n  - {name: b, type: relu}\n',
              'Reorder the layers so every input comes before the layer that reads it.'),
    "NS210": (_SPEC + '  - {type: conv, filters: 16, kernel: 3}\n  - {type: relu, inputs: [-1, input]}\n',
              "Give a single-input layer one input; add, multiply and concat take two or more."),
    "NS211": (_SPEC + '  - {type: conv, filters: "${16 / 3}", kernel: 3}\n',
              'Make the expression give a value the field takes (`int(...)`, `make_divisible(...)`).'),
    "NS212": ('$ netspec check big.yaml --max-layers 100',
              'Raise --max-layers if the network is genuinely that large.'),
    "NS213": (_SPEC + '  - {type: relu, repeat: 20000}\n',
              'Use a smaller `repeat:`, or raise --max-repeat.'),
    "NS214": ('$ netspec check nested.yaml --max-call-depth 4',
              'Nest blocks less deeply, or raise --max-call-depth.'),
    "NS215": ('netspec: 1\nname: net\ninput: {height: 100000, width: 100000, channels: 3}\nbatch: 1000000000\nlayers:\n  - {type: conv, filters: 4096, kernel: 3}\n',
              'Check the input size and batch: no real network needs counts this large.'),
    "NS216": ('$ netspec check heavy.yaml --max-layers 10   # `repeat: 10000` of expressions of 500 nodes',
              'Compute the value once (a param, or a block argument) instead of in every repeated layer; or '
              'raise --max-layers, which allows 100 steps per layer.'),
    "NS217": (_SPEC + '  - {name: ' + 'x' * 1001 + ', type: relu}\n',
              'Use shorter layer and block-call names; nested calls carry every prefix, so keep each short.'),
    "NS218": ('netspec: 1\nname: lm\ninput: {length: 16}\nlayers:\n  - {name: wte, type: embedding, vocab: 1000, dim: 64}\n'
              '  - {name: head, type: dense, units: 512, tie: wte}\n',
              'Tie to the embedding whose table this layer reuses, with `units` equal to its vocab (and input '
              'channels equal to its dim); or drop `tie` to give the layer its own weight.'),
    "NS301": (_SPEC + '  - {type: conv, filters: 16, kernel: 3}\nbudget: {maccs: 100K}\n',
              'Make the network cheaper, or raise the budget where the message says it was set.'),
    "NS302": (_SPEC + '  - {type: conv, filters: 16, kernel: 3}\nbudget: {per_layer: {maccs: 100K}}\n',
              'Make that layer cheaper (fewer filters, a stride, a separable conv) or raise `per_layer`.'),
    "NS303": ('$ netspec check specs --budget-file team.yaml   # team.yaml: budget: {macs: 300M}',
              'Fix the policy file or flag: known keys, quantities such as 300M or 8MiB.'),
    "NS304": ('$ netspec check specs/mobilenet_v2.yaml --device apple-a17-pro   # float32 spec, an int8-only NPU',
              'Write the dtype the model runs at (`dtype: int8`), or estimate on a profile of your own '
              '(--device-file) that lists the figure, with its source.'),
    "NS305": ('$ netspec check spec.yaml --device-file mine.yaml   # mine.yaml: float32: {value: 10G}',
              'Give the figure its `source:` (a key of `sources:` with title, url and read date, or '
              '`unverified` with a `note:`) and every peak its `sparsity: dense`; `netspec devices` '
              'shows the shipped profiles as models.'),
    "NS306": ('$ netspec check specs/a.yaml --budget-file team.yaml   # team.yaml: specs: {spec/*.yaml: {maccs: 300M}}',
              'Fix the pattern (it matches spec names, and paths relative to the policy file\'s folder), or drop '
              'it; `--ignore NS306` when only some specs are checked (a pre-commit hook).'),
    "NS401": (_SPEC + '  - {type: conv, filters: 12, kernel: 3}\n  - {type: conv, filters: 16, kernel: 1}\n',
              'Round the width to a multiple of 8 (`make_divisible(v, 8)`), or ignore the code for that layer.'),
    "NS402": (_SPEC + '  - {type: conv, filters: 8, kernel: 3}\n  - {type: flatten}\n  - {type: dense, units: 64}\n',
              'Pool before the classifier (`global_avgpool`), or accept it: silence with `lint: {ignore: [NS402]}`.'),
    "NS403": (_SPEC + '  - {type: conv, filters: 16, kernel: 2, stride: 3}\n',
              'Use a stride no larger than the kernel, or a 1x1 kernel for plain subsampling.'),
    "NS404": (_SPEC + '  - {name: a, type: conv, filters: 16, kernel: 3}\n  - {name: dead, type: conv, filters: 16, kernel: 1}\n  - {type: relu, inputs: a}\n',
              'Remove the layer, or feed its output to a later layer.'),
    "NS405": (_SPEC + '  - {name: a, type: conv, filters: 16, kernel: 3}\n  - {name: b, type: conv, filters: 16, kernel: 3}\n  - {type: add, inputs: [b, b]}\n',
              'Name the tensor you meant (`inputs: [b, a]`), or write a `multiply`/scale if doubling is intended.'),
    "NS406": (_SPEC + '  - {type: conv, filters: 12, kernel: 3}\nlint: {ignore: [NS041]}\n',
              'Write the code as `netspec explain` lists it (NS401); a typo silences nothing.'),
}


def find(word: str):
    """A code (NS203, ns203) or its kebab-case name (shape-mismatch), or None."""
    from .diagnostics import CODES

    key = word.strip()
    if key.upper() in CODES:
        return CODES[key.upper()]
    key = key.lower().replace("_", "-")
    return next((c for c in CODES.values() if c.name == key), None)


def explain(code) -> str:
    """Why it fires, a minimal bad example, the fix."""
    example, fix = EXAMPLES.get(code.code, ("", ""))
    out = [f"{code.code} {code.name} ({code.severity})", "", code.summary]
    if code.doc:
        out += ["", code.doc]
    if example:
        out += ["", "Example:", ""] + ["    " + line if line else "" for line in example.rstrip("\n").split("\n")]
    if fix:
        out += ["", f"Fix: {fix}"]
    return "\n".join(out) + "\n"


def listing() -> str:
    from .diagnostics import CODES

    return "".join(f"{c.code}  {c.name:<28} {c.severity:<8} {c.summary}\n" for c in CODES.values())
