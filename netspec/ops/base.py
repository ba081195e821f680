"""What every op in the registry declares: its attributes, shape rule, cost rule and PyTorch export.

An op is declared once, in its family module: `type` and `doc` (the layer type and the one line
editors show for it), `attrs` (each with its kind, default and one-line description), `infer`
(the shape rule), `cost` (the cost rule) and `torch` (the PyTorch source it exports to). The JSON
Schema's `$defs/layer_<type>` and dispatcher are generated from these declarations
(`python -m netspec.schemagen --write`); `export/torch.py` keeps only what all ops share.

Shapes are tuples: (H, W, C) an image, (L, C) a sequence, (C,) a vector. Costs are computed for
one sample; the cost stage scales activations and compute by `batch` (weights do not scale).
"""

from __future__ import annotations

from dataclasses import dataclass

Shape = tuple[int, ...]

REQUIRED = object()


class ShapeError(Exception):
    """A layer whose inputs do not fit its rule; `key` names the attribute to point at."""

    def __init__(self, code: str, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.key = key


# The kinds of attribute value: what a spec may write (the JSON Schema fragment, `${...}`
# expressions included through the shared $defs) and what the op reads after expansion
# (`expand/values.py` normalises: "pair+" 3 -> (3, 3), "padding" 1 -> (1, 1, 1, 1)). A kind may
# also be a tuple of allowed strings (an enum, such as upsample's `mode`).
KINDS: dict[str, dict] = {
    "int": {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/expr"}]},  # any integer (negative counts from the end)
    "int+": {"$ref": "#/$defs/posint"},  # an integer >= 1
    "int0": {"$ref": "#/$defs/nonnegint"},  # an integer >= 0
    "pair+": {"$ref": "#/$defs/size2"},  # an integer >= 1 or [h, w] -> (h, w)
    "pair0": {"anyOf": [{"$ref": "#/$defs/nonnegint"},  # an integer >= 0 or [h, w] -> (h, w)
                        {"type": "array", "items": {"$ref": "#/$defs/nonnegint"}, "minItems": 2, "maxItems": 2}]},
    "padding": {"$ref": "#/$defs/padding"},  # same | valid | p | [h, w] | [t, b, l, r] -> str or (t, b, l, r)
    "bool": {"$ref": "#/$defs/boolexpr"},
    "number+": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"$ref": "#/$defs/expr"}]},  # a number > 0
    "rate": {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"$ref": "#/$defs/expr"}]},  # 0..1
    "layer": {"type": "string", "minLength": 1},  # another layer's name -> a LayerRef (resolved by expansion)
    # a number > 0 or [sh, sw] of them -> the number or (sh, sw)
    "scale": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"$ref": "#/$defs/expr"},
                        {"type": "array", "items": {"anyOf": [{"type": "number", "exclusiveMinimum": 0},
                                                              {"$ref": "#/$defs/expr"}]},
                         "minItems": 2, "maxItems": 2}]},
}


@dataclass(frozen=True, slots=True)
class Attr:
    """A layer attribute: its name, the kind of value it normalises to (a key of KINDS or a tuple
    of allowed strings), its default (REQUIRED if none), the one line editors show for it, and
    `schema`, a JSON Schema fragment used instead of the kind's when the kind says too little."""

    name: str
    kind: str | tuple[str, ...]
    default: object = REQUIRED
    doc: str = ""
    schema: dict | None = None


@dataclass(slots=True)
class Cost:
    """One row of cost, per sample. Weights read = params (each weight once per inference), except
    where `gathered` or `tied` say otherwise."""

    params: int = 0
    maccs: int = 0
    flops: int = 0
    input_reads: int = 0  # sliding-window model: reads of input feature-map elements
    output_writes: int = 0
    act_io: int = 0  # compulsory model: input + output activation elements, each once
    gathered: int = 0  # an embedding: weight elements read per sample (its rows), instead of all params
    tied: int = 0  # weight elements of another layer read here (dense `tie:`), not counted as params
    kv_cache: int = 0  # elements of the KV cache this layer holds, per sample (attention `context`)
    scratch: int = 0  # elements of intermediates alive while the layer runs (attention scores), per sample


class TorchCode:
    """What a layer exports to: the modules its attribute holds (applied in order; the layer's
    fused batch norm and activation are appended by the export), and its forward expression.

    `call` is a format string: {m} is the attribute (`self.name`), {0}, {1}, ... the inputs.
    `channels_last`: the attribute runs on a channels-last tensor (the call permutes around it).
    `inline`: the op itself is computed in the forward expression (add, concat, ...).
    `helpers`: names of classes of `TORCH_HELPERS` the modules use; the file defines each once.
    `refs`: placeholders of `call` naming another layer's module ({"tie": "wte"}: `{tie}` in the
    call is that layer's module, as a dense `tie:` reads its embedding's weight).
    A plain class: a dataclass costs every `check` its creation at import, and check never exports.
    """

    __slots__ = ("modules", "call", "channels_last", "inline", "helpers", "refs")

    def __init__(self, modules: list[str], call: str = "{m}({0})", channels_last: bool = False,
                 inline: bool = False, helpers: tuple[str, ...] = (), refs: dict | None = None) -> None:
        self.modules = modules
        self.call = call
        self.channels_last = channels_last
        self.inline = inline
        self.helpers = helpers
        self.refs = refs or {}


# Module classes an exported file defines for ops PyTorch has no module for (attention with its
# matmuls written out, learned tokens, ...): class name -> its source, registered by the op's module.
TORCH_HELPERS: dict[str, str] = {}


def torch_helper(name: str, source: str) -> str:
    """Register the source of an exported helper class; returns its name."""
    TORCH_HELPERS[name] = source.strip("\n") + "\n"
    return name


class LayerRef(str):
    """An attribute naming another layer (a dense `tie:`), resolved by expansion: the layer's full
    name (what reports show), with its type, attributes and output shape for the op to check."""

    type: str | None
    attrs: dict
    output: tuple | None

    @classmethod
    def to(cls, name: str, type_: str | None, attrs: dict, output) -> "LayerRef":
        ref = cls(name)
        ref.type, ref.attrs, ref.output = type_, attrs, output
        return ref


class Tokens(tuple):
    """A sequence of L token ids (`input: {length: L}` without channels): the shape (L,), told apart
    from a vector of L channels by its type (it compares and hashes differently from one)."""

    __slots__ = ()

    def __eq__(self, other) -> bool:
        return type(other) is Tokens and tuple.__eq__(self, other)

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("tokens", *self))

    def __repr__(self) -> str:
        return f"Tokens({tuple(self)!r})"


def fmt_shape(shape: Shape | None) -> str:
    if type(shape) is Tokens:
        return f"{shape[0]} tokens"
    return "x".join(str(d) for d in shape) if shape else "?"


def kind_of(shape: Shape) -> str:
    if type(shape) is Tokens:
        return "token ids"
    return {3: "image", 2: "sequence", 1: "vector"}[len(shape)]


# The named axes of each kind of tensor, in netspec's (channels-last) order.
AXES = {3: ("height", "width", "channels"), 2: ("length", "channels"), 1: ("channels",)}
AXIS_NAMES = ("height", "width", "length", "channels")  # the values an `axis:` attribute takes


def axis_index(op: str, shape: Shape, axis: str) -> int:
    """The position of a named axis in `shape`, or NS206 when this kind of tensor has no such axis."""
    names = ("length",) if type(shape) is Tokens else AXES[len(shape)]
    if axis not in names:
        raise ShapeError("NS206", f"{op}: the {kind_of(shape)} {fmt_shape(shape)} has no {axis} axis (its axes: "
                         f"{', '.join(names)})", "axis")
    return names.index(axis)


def torch_dim(shape: Shape, index: int) -> int:
    """The channels-first PyTorch dim of netspec axis `index` (batch first): channels 1, the rest from 2."""
    return 1 if index == len(shape) - 1 else index + 2


def numel(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def torch_pair(pair) -> str:
    """A pair as a PyTorch argument: (3, 3) -> '3'; (3, 5) -> '(3, 5)'."""
    a, b = pair
    return str(a) if a == b else f"({a}, {b})"


def torch_number(x) -> str:
    """A number as Python source: 2.0 -> '2', 0.5 -> '0.5'."""
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


def to_channels_last(expr: str, rank: int) -> str:
    """Source that permutes a channels-first tensor of netspec rank `rank` to channels-last."""
    return {3: f"{expr}.permute(0, 2, 3, 1)", 2: f"{expr}.permute(0, 2, 1)"}.get(rank, expr)


def to_channels_first(expr: str, rank: int) -> str:
    """Source that permutes a channels-last tensor back to channels-first."""
    return {3: f"{expr}.permute(0, 3, 1, 2)", 2: f"{expr}.permute(0, 2, 1)"}.get(rank, expr)


class Op:
    """Base of every layer type. Subclasses set `type`, `doc`, `attrs` and override the rules."""

    type: str = ""
    doc: str = ""  # the layer type in one line (the schema's description, editors' hover text)
    attrs: tuple[Attr, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1
    has_bias: bool = False  # dot-product layers take `bias` (default: not batchnorm)
    is_view: bool = False  # no data movement: the output aliases the input buffer
    is_activation: bool = False  # may also be written as any layer's fused `activation:`
    # The op family whose efficiencies the latency estimate uses (netspec/latency.py): conv,
    # depthwise, dense, pool, maxpool, attention. None: `dense` for a part with MACCs (a matrix
    # product), else `elementwise`. `part_family` names a multi-part op's parts by their labels.
    family: str | None = None
    part_family: dict[str, str] = {}
    takes_tokens: bool = False  # accepts token ids (embedding, slice); every other op refuses them
    special_costs: bool = False  # its Cost may set gathered, tied, kv_cache or scratch (the cost stage looks)
    references: tuple[str, ...] = ()  # attributes naming another layer (kind "layer"), set by `register`
    # its own `activation` attribute (rnn's cell nonlinearity), not a fused one; set by `register`
    owns_activation: bool = False

    def infer(self, a: dict, ins: list[Shape]) -> Shape:
        """The output shape for these attributes and input shapes, or ShapeError."""
        return ins[0]

    def cost(self, a: dict, ins: list[Shape], out: Shape) -> list[tuple[str, Cost]]:
        """The per-sample cost, as one or more labelled parts (separable: two)."""
        return [(self.type, Cost())]

    def torch(self, layer, ins: list[Shape]) -> TorchCode | None:
        """The PyTorch source of a layer of this type (`layer.attrs`, `layer.output`); None: no
        mapping yet. Source text only: the export imports torch when it runs it, `check` never."""
        return None

    def torch_fused(self, shape: Shape, channels_last: bool) -> list[str] | None:
        """The modules that apply this op fused onto a layer with output `shape` (batchnorm and
        the activations); None: it cannot be fused."""
        return None

    def require_image(self, shape: Shape) -> None:
        if len(shape) != 3:
            raise ShapeError("NS206", f"{self.type} needs an image (HxWxC) input, got the {kind_of(shape)} "
                             f"{fmt_shape(shape)}", "inputs")


REGISTRY: dict[str, Op] = {}


def register(*ops: Op) -> None:
    for op in ops:
        op.references = tuple(a.name for a in op.attrs if a.kind == "layer")
        op.owns_activation = any(a.name == "activation" for a in op.attrs)
        REGISTRY[op.type] = op
