"""The one registry of diagnostic codes, and the Diagnostic every stage reports through.

Codes are grouped by stage: NS0xx input/YAML, NS1xx schema, NS2xx graph and shapes,
NS3xx budgets, NS4xx lint warnings. Each code has a kebab-case name, a severity and a
one-line summary (`netspec explain NS101`); adding a code means adding one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
MAX_MESSAGE = 1000  # characters; longer messages (quoting a huge value) are cut in the middle


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    severity: str
    summary: str
    doc: str = ""


def _codes(*entries: Code) -> dict[str, Code]:
    return {c.code: c for c in entries}


CODES: dict[str, Code] = _codes(
    Code("NS000", "internal-error", ERROR,
         "netspec itself failed; please report it with the spec that triggered it."),
    # --- NS0xx: reading the file and the YAML -------------------------------------------
    Code("NS001", "read-error", ERROR,
         "The file could not be read (missing, a directory, no permission, a symlink loop).",
         "I/O problems end the run with exit status 2, not 1: the spec was never judged."),
    Code("NS002", "yaml-syntax", ERROR,
         "The file is not valid YAML; the position is where the parser gave up."),
    Code("NS003", "duplicate-key", ERROR,
         "A mapping has the same key twice; YAML parsers silently keep the last, netspec refuses."),
    Code("NS004", "unsupported-tag", ERROR,
         "An explicit YAML tag such as !!python/object; specs are plain data, tags are never run."),
    Code("NS005", "empty-spec", ERROR,
         "The file holds no document (empty, whitespace or comments only)."),
    Code("NS006", "not-a-mapping", ERROR,
         "The top of a spec must be a mapping with `netspec:`, `name:`, `input:` and `layers:`."),
    Code("NS007", "invalid-encoding", ERROR,
         "The file is not UTF-8 text (undecodable bytes or NUL characters)."),
    Code("NS008", "ambiguous-scalar", ERROR,
         "A YAML 1.1 trap: a leading-zero number such as 0755 (octal in YAML 1.1, decimal in 1.2).",
         "Write the number without the leading zero, or 0o755 if you meant octal."),
    Code("NS009", "multiple-documents", ERROR,
         "The file holds several YAML documents (`---`); a spec file holds exactly one."),
    Code("NS010", "file-too-large", ERROR,
         "The file is larger than the limit (default 10 MiB); raise it with --max-file-size."),
    Code("NS011", "alias-expansion-limit", ERROR,
         "YAML aliases would expand to more nodes than the limit (a 'billion laughs' document).",
         "The limit (default 1,000,000 nodes) is raised with --max-yaml-nodes."),
    Code("NS012", "nesting-too-deep", ERROR,
         "Mappings and lists are nested deeper than the limit (default 64); raise it with --max-depth."),
    Code("NS013", "unsupported-key", ERROR,
         "A mapping key that is not a plain string (a list, a mapping, or null)."),
    # --- NS1xx: the JSON Schema -------------------------------------------------------------
    Code("NS101", "unknown-key", ERROR,
         "A key the schema does not define for this place (often a typo, such as `filter:`)."),
    Code("NS102", "missing-key", ERROR,
         "A required key is missing (such as `filters` on a conv layer)."),
    Code("NS103", "wrong-type", ERROR,
         "A value of the wrong type (a string where a number belongs, a list where a mapping does)."),
    Code("NS104", "invalid-value", ERROR,
         "A value of the right type outside what is allowed (negative kernel, unknown padding mode)."),
    Code("NS105", "unknown-layer-type", ERROR,
         "`type:` names neither a layer type of the registry nor a block of this spec."),
    Code("NS106", "invalid-quantity", ERROR,
         "A budget or limit that is not a quantity: a number, or a number with K/M/G/T or KiB/MiB/GiB/MB "
         "(a latency: a number with s, ms, us or ns)."),
    Code("NS107", "too-many-schema-errors", ERROR,
         "More than 1,000 layers break the schema: those are reported, and checking stops at the next one.",
         "Fix the reported layers (often one mistake copied many times) and check again."),
    # --- NS2xx: expansion and shapes ---------------------------------------------------------
    Code("NS201", "expression-error", ERROR,
         "A ${...} expression that cannot be evaluated: bad syntax, an unknown name or function, "
         "a forbidden construct, division by zero, or a result too large."),
    Code("NS202", "unknown-reference", ERROR,
         "`inputs:` names a layer that does not exist, or counts back (-k) past the input."),
    Code("NS203", "shape-mismatch", ERROR,
         "Shapes do not fit together: the inputs of add/multiply/concat, or a layer's size attributes "
         "and its input (to_image's height x width and the sequence length)."),
    Code("NS204", "invalid-output-size", ERROR,
         "A window does not fit (the kernel is larger than the padded input), a slice reaches past the end of "
         "its axis, or the output would be empty."),
    Code("NS205", "groups-mismatch", ERROR,
         "Channels do not divide as the layer needs: by conv `groups`, into glu's two halves, into "
         "depth_to_space blocks."),
    Code("NS206", "wrong-tensor-kind", ERROR,
         "The layer needs another kind of tensor (a conv on a vector, flatten on a vector, ...)."),
    Code("NS207", "duplicate-name", ERROR,
         "Two layers in one scope have the same name (or a layer is named `input`)."),
    Code("NS208", "block-recursion", ERROR,
         "A block calls itself, directly or through other blocks."),
    Code("NS209", "forward-reference", ERROR,
         "`inputs:` names a layer defined later (or the layer itself); specs are written in order."),
    Code("NS210", "wrong-input-count", ERROR,
         "The layer got the wrong number of inputs (add, multiply and concat need two or more)."),
    Code("NS211", "invalid-evaluated-value", ERROR,
         "An expression evaluated to a value the field does not take (31.5 filters, a negative stride)."),
    Code("NS212", "too-many-layers", ERROR,
         "The expanded network has more layers than the limit (default 100,000); raise it with --max-layers."),
    Code("NS213", "repeat-too-large", ERROR,
         "A `repeat:` count above the limit (default 10,000); raise it with --max-repeat."),
    Code("NS214", "call-depth-exceeded", ERROR,
         "Blocks call blocks deeper than the limit (default 32); raise it with --max-call-depth."),
    Code("NS215", "tensor-too-large", ERROR,
         "A tensor or count exceeds 2**63 - 1 and would overflow 64-bit tooling."),
    Code("NS216", "expression-work-limit", ERROR,
         "The spec's expressions need more evaluation steps in all than the limit (100 per allowed layer, "
         "10,000,000 by default); raise it with --max-layers.",
         "A step is about one syntax node of an expression; arithmetic on big integers costs more. The "
         "limit keeps a spec that repeats heavy expressions thousands of times from running for minutes."),
    Code("NS217", "names-too-large", ERROR,
         "A layer's full name (block-call prefixes included) is longer than 1,000 characters, or the "
         "expanded network's names, input references and call chains hold more than 640 characters per "
         "allowed layer in all (64,000,000 by default; raise it with --max-layers).",
         "Every nested or repeated instance carries its whole name, and every report repeats the names: "
         "without a bound a small spec could need gigabytes of memory and of report."),
    Code("NS218", "invalid-tie", ERROR,
         "A dense `tie:` names no embedding, or an embedding whose vocab x dim is not this layer's units x "
         "input channels."),
    # --- NS3xx: budgets -----------------------------------------------------------------------
    Code("NS301", "budget-exceeded", ERROR,
         "A network total (params, MACCs, memory, ...) is over its budget."),
    Code("NS302", "layer-budget-exceeded", ERROR,
         "A single layer is over a `per_layer` budget."),
    Code("NS303", "invalid-budget", ERROR,
         "A budget from a policy file or the command line is not valid."),
    Code("NS304", "no-latency-estimate", ERROR,
         "--device was given but the device profile has no peak for the spec's dtype.",
         "The estimate needs the device's dense peak at the spec's `dtype:` (float32, float16, bfloat16, "
         "int8); `netspec devices` shows what each profile lists. Write the dtype the model will run at, "
         "or add the figure, with its source, to a profile of your own (--device-file)."),
    Code("NS305", "invalid-device-profile", ERROR,
         "A device profile (--device-file, or a shipped one) is not valid; the run stops with exit 2.",
         "Every figure needs a `value:` and a `source:` (a key of `sources:`, or `unverified` with a "
         "`note:`), and every peak a `sparsity:` (dense or unstated). See `netspec devices` and the "
         "profiles in netspec/devices/."),
    Code("NS306", "budget-pattern-unmatched", WARNING,
         "A `specs:` pattern of the budget policy matched none of the specs checked, so its limits were not applied.",
         "Patterns match a spec's `name:`, or its path relative to the policy file's folder (`specs/*.yaml` for "
         "specs/x.yaml next to the policy, however the path was written on the command line). A typo in a "
         "pattern would otherwise leave a budget silently unenforced."),
    # --- NS4xx: lint warnings -------------------------------------------------------------------
    Code("NS401", "channels-not-multiple-of-8", WARNING,
         "A layer's output channels are not a multiple of 8, which most accelerators handle poorly."),
    Code("NS402", "dense-dominates-params", WARNING,
         "One dense layer holds more than half of all parameters."),
    Code("NS403", "stride-exceeds-kernel", WARNING,
         "The stride is larger than the kernel: some input pixels are never read."),
    Code("NS404", "unused-output", WARNING,
         "A layer's output is read by no other layer and is not the network's output."),
    Code("NS405", "add-of-itself", WARNING,
         "An `add` reads the same tensor more than once (it doubles it); usually another input was meant."),
    Code("NS406", "unknown-ignored-code", WARNING,
         "`lint: {ignore: [...]}` names a code netspec does not have, so it silences nothing (a typo?)."),
)


def lookup(code: str) -> Code | None:
    return CODES.get(code.upper())


@dataclass(slots=True)
class Diagnostic:
    """One finding, anchored to a YAML node: 1-based line/column, 0 when it concerns the whole file."""

    code: str
    message: str
    line: int = 0
    column: int = 0
    end_line: int | None = None
    end_column: int | None = None
    path: str = ""
    file: str = ""
    severity: str = field(default="")

    def __post_init__(self) -> None:
        if not self.severity:
            entry = CODES.get(self.code)
            self.severity = entry.severity if entry else ERROR
        if len(self.message) > MAX_MESSAGE:  # a message quoting a 5 MB value stays one readable line
            cut = len(self.message) - MAX_MESSAGE
            self.message = (f"{self.message[:MAX_MESSAGE - 200]}…[{cut:,} characters cut]…"
                            f"{self.message[-200:]}")

    @property
    def name(self) -> str:
        entry = CODES.get(self.code)
        return entry.name if entry else ""

    def at(self, span: tuple[int, int, int, int] | None) -> "Diagnostic":
        """Anchor the diagnostic at a (line, col, end_line, end_col) span."""
        if span:
            self.line, self.column, self.end_line, self.end_column = span
        return self


def format_path(path: tuple) -> str:
    """('layers', 3, 'kernel') -> 'layers[3].kernel'."""
    out = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(("." if out else "") + str(part))
    return "".join(out)


def has_errors(diagnostics, strict: bool = False) -> bool:
    return any(d.severity == ERROR or (strict and d.severity == WARNING) for d in diagnostics)
