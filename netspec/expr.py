"""Safe, bounded evaluation of the ``${...}`` expressions of a spec.

A spec is untrusted input, so an expression is never handed to ``eval``. Its text is
parsed with ``ast.parse(text, mode="eval")`` and every node is checked against a small
whitelist: numbers, booleans, ``None`` and string literals, names from the caller's scope,
``+ - * / // % **`` (on numbers), unary ``- + not``, comparisons (chained; ``==``/``!=`` on any
values, ordering on numbers only), ``and``/``or``, ``a if c else b``, indexing a list with an
integer (``depths[i]``, ``depths[-1]``) and calls of ``min max round floor ceil int abs len
make_divisible`` by plain name. Anything else (attribute access, slices, list literals,
lambdas, comprehensions, f-strings, ``:=``, other calls) is an :class:`ExpressionError` that
names what is forbidden.

Values are numbers, booleans, ``None``, strings and lists of those (params and block args
may be lists): strings take part only in ``==``/``!=``, ``len`` and as results, lists only in
indexing, ``len`` and as results, so no operator can build a large value.

Evaluation is bounded, so a hostile spec cannot hang or exhaust memory: the source length,
the AST node count and nesting depth are limited; ``**`` and ``*`` of integers are refused
*before* computing when the result would exceed ~10,000 bits; the final integer result
must fit in a signed 64-bit integer; inf/nan, division by zero and complex results are
errors. ``10**10**10`` fails in microseconds.

A checked tree is compiled once into nested Python closures and cached by its source
string, because the same expression is evaluated thousands of times across repeated
blocks; a repeat evaluation costs one dict lookup plus the closures' own work.

Result types follow Python: ints stay ints, ``/`` gives a float, comparisons and ``not``
give bools. One deliberate difference: ``and``/``or`` give a bool (``bool(a and b)``)
rather than one of their operands; they still short-circuit.
"""

from __future__ import annotations

import ast
import itertools
import math
import warnings
from collections.abc import Callable, Mapping

__all__ = ["SCOPE_NAMES", "Budget", "BudgetExhausted", "ExpressionError", "is_expression", "evaluate", "names_used", "make_divisible"]

SCOPE_NAMES = frozenset({"i", "in_channels", "in_height", "in_width", "in_length"})
"""Names expansion itself puts in every expression's scope (the repeat index, the input's size);
a param or block argument of one of these names would be silently shadowed, so it is refused."""
MAX_NODES = 500
"""Most AST nodes (as counted by ``ast.walk``) in one expression."""
MAX_DEPTH = 200
"""Deepest nesting of sub-expressions (keeps recursion far from Python's limit)."""
MAX_BITS = 10_000
"""Largest intermediate integer, in bits; ``**`` and ``*`` are refused before computing past it."""
MAX_RESULT = 2**63
"""An integer result must have ``abs(result) < MAX_RESULT``."""
_CACHE_SIZE = 4096
BIG_SHIFT = 15
"""Big-integer ``*``, ``//``, ``%``, ``/`` cost ``(bits(a) * bits(b)) >> BIG_SHIFT`` extra steps (a
10,000 by 5,000-bit division, ~100 us here, costs 1,525), and ``**`` its result's bits squared
the same way: steps stay near a tenth of a microsecond each, whatever the numbers."""
_big = [0]  # steps charged by big-integer arithmetic so far, in this process (see Budget)
LIST_STEPS = 4
"""Steps per element of a list that expansion evaluates (a block argument, a list attribute): its
elements are evaluated, frozen into the call's cache key and kept, about 0.45 us each here."""
_SCALARS = frozenset({int, float, bool, type(None)})
_walked: dict[int, tuple[object, int]] = {}  # id(list) -> (the list, its cost): params are not copied


def _walk_cost(x) -> int:
    """Steps for an operation that may walk all of `x` (`==` on lists or strings, min/max of
    lists): a step per list element, nested ones included, and one per KiB of a string; a list's
    cost is computed once (lists are shared, never copied, between evaluations)."""
    if isinstance(x, str):
        return len(x) >> 10
    if not isinstance(x, (list, tuple)):  # a list from the spec is a PosList
        return 0
    hit = _walked.get(id(x))
    if hit is not None and hit[0] is x:
        return hit[1]
    n = len(x) + sum(_walk_cost(v) for v in x if type(v) not in _SCALARS)
    if len(_walked) >= _CACHE_SIZE:
        _walked.clear()
    _walked[id(x)] = (x, n)
    return n


def _charge_walk(a, b) -> None:
    if type(a) not in _SCALARS or type(b) not in _SCALARS:
        _big[0] += _walk_cost(a) + _walk_cost(b)


class ExpressionError(Exception):
    """An expression that cannot be evaluated; ``.message`` is one sentence for the user.

    ``.expression`` is the ``${...}`` text when known (set by :func:`evaluate`).
    """

    def __init__(self, message: str, expression: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression

    def __str__(self) -> str:
        return self.message


class Budget:
    """The evaluation steps a run may still spend on expressions (`evaluate(..., budget=)`).

    An evaluation costs one step per syntax node of its expression (a closure call each), plus the
    big-integer charge above, so a spec that repeats heavy expressions 10,000 times is stopped
    after a bounded amount of work rather than running for minutes.
    """

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.left = self.limit = limit

    def charge(self, steps: int, expression: str | None = None) -> None:
        """Spend `steps`; BudgetExhausted once the run has spent more than its limit."""
        self.left -= steps
        if self.left < 0:
            raise BudgetExhausted(f"the spec's expressions need more than {self.limit:,} evaluation steps in all "
                                  "(a step is about one syntax node; big integers and long lists cost more)",
                                  expression)

    def charge_list(self, value) -> None:
        """A list value evaluated, copied and compared element by element (a block argument of
        10,000 numbers, per call): LIST_STEPS steps per element, nested ones included."""
        self.charge(LIST_STEPS * _walk_cost(value))


class BudgetExhausted(ExpressionError):
    """The run's expression budget is spent (a limit, not a mistake in this expression)."""


# --------------------------------------------------------------------------- functions


def make_divisible(v, divisor=8, min_value=None) -> int:
    """The reference MobileNet channel rounding (TF-slim / torchvision ``_make_divisible``).

    Round ``v`` to the nearest multiple of ``divisor``, never below ``min_value`` (default
    ``divisor``), and add one ``divisor`` if rounding down lost more than 10% of ``v``::

        min_value = divisor if None
        new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
        if new_v < 0.9 * v: new_v += divisor

    ``make_divisible(32 * 1.4) == 48``, ``make_divisible(3) == 8``.
    """
    if type(v) is float:
        if not math.isfinite(v):
            raise ExpressionError(f"make_divisible() needs a finite number, got {v!r}")
    elif type(v) not in _NUMBER_TYPES and not _is_number(v):
        raise ExpressionError(f"make_divisible() needs a number, got {_describe(v)}")
    if type(divisor) is not int or divisor <= 0:
        if not (_is_number(divisor) and divisor > 0
                and (isinstance(divisor, int) or float(divisor).is_integer())):
            raise ExpressionError(
                f"make_divisible() divisor must be a positive integer, got {_describe(divisor)}")
        divisor = int(divisor)
    if min_value is None:
        min_value = divisor
    elif not _is_number(min_value):
        raise ExpressionError(
            f"make_divisible() min_value must be a number or None, got {_describe(min_value)}")
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return int(new_v)


def _round(x, ndigits=None):
    # Python's round (banker's rounding: round(2.5) == 2). ndigits is bounded because
    # round(int, -n) computes 10**n.
    if ndigits is not None:
        if type(ndigits) not in (int, bool):
            raise ExpressionError(f"round() ndigits must be an integer, got {_describe(ndigits)}")
        if not -308 <= ndigits <= 308:
            raise ExpressionError(f"round() ndigits must be between -308 and 308, got {ndigits}")
    return round(x, ndigits)


def _floor(x):
    return math.floor(x)


def _ceil(x):
    return math.ceil(x)


def _int(x):
    """Truncate toward zero, like Python's int() of a number."""
    if not _is_number(x):
        raise ExpressionError(f"int() needs a number, got {_describe(x)}")
    return int(x)


def _len(x):
    """The number of elements of a list, or of characters of a string."""
    if type(x) is str or isinstance(x, (list, tuple)):
        return len(x)
    raise ExpressionError(f"len() needs a list or a string, got {_describe(x)}")


# name -> (callable, min positional, max positional, allowed keywords)
_FUNCTIONS: dict[str, tuple[Callable, int, int, frozenset[str]]] = {
    "abs": (abs, 1, 1, frozenset()),
    "ceil": (_ceil, 1, 1, frozenset()),
    "floor": (_floor, 1, 1, frozenset()),
    "int": (_int, 1, 1, frozenset()),
    "len": (_len, 1, 1, frozenset()),
    "make_divisible": (make_divisible, 1, 3, frozenset({"divisor", "min_value"})),
    "max": (max, 2, 64, frozenset()),
    "min": (min, 2, 64, frozenset()),
    "round": (_round, 1, 2, frozenset()),
}

# --------------------------------------------------------------------------- helpers

_NUMBER_TYPES = (int, float, bool)
_ARITHMETIC = frozenset(_NUMBER_TYPES)  # the exact types operators compute with


def _is_number(x) -> bool:
    return type(x) in _NUMBER_TYPES or isinstance(x, (int, float))


def _describe(x) -> str:
    if x is None:
        return "None"
    if type(x) in _NUMBER_TYPES:
        return repr(x)
    if type(x) is str:
        return f"the string {_clip(repr(x), 40)}"
    if isinstance(x, (list, tuple)):
        return f"a list of {len(x):,} elements"
    return f"a {type(x).__name__}"


def _kind(x) -> str:
    if x is None:
        return "None"
    return "list" if isinstance(x, (list, tuple)) else type(x).__name__


def _too_large(what: str = "", expression: str | None = None) -> ExpressionError:
    extra = f" ({what})" if what else ""
    return ExpressionError(f"value too large{extra}; integers must stay below 2**63 "
                           f"and intermediate results below {MAX_BITS:,} bits", expression)


def _not_finite(op: str) -> ExpressionError:
    return ExpressionError(f"'{op}' gave an infinite or undefined (nan) number")


def _suggest(word: str, known) -> str:
    """' (did you mean 'x'?; known: a, b, c)' — difflib is imported only on error."""
    import difflib

    names = sorted(k for k in known if isinstance(k, str))
    if not names:
        return " (no names are defined here)"
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    shown = ", ".join(names[:25]) + (", ..." if len(names) > 25 else "")
    hint = f"did you mean '{close[0]}'?; " if close else ""
    return f" ({hint}known: {shown})"


def _unknown_name(name: str, scope) -> ExpressionError:
    try:
        # Bounded: a hostile spec may define 100,000s of params, and this runs once per failing instance.
        keys = list(itertools.islice(scope.keys(), 1000))
    except Exception:  # an odd Mapping; the suggestion is only a nicety
        keys = []
    return ExpressionError(f"unknown name '{name}'{_suggest(name, keys)}")


def _value(name: str, v):
    """A scope value as expressions see it: int, float, bool, None, str or a list (subclasses of
    the scalars normalised; a list is used as it is, never copied)."""
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        v = float(v)
        if not math.isfinite(v):
            raise ExpressionError(f"name '{name}' is {v!r}, not a finite number")
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (list, tuple)):
        return v
    raise ExpressionError(f"name '{name}' is {_describe(v)}, not a number, boolean, string, list or None")


# --------------------------------------------------------------------------- compiler

_Fn = Callable[[Mapping], object]

_BINOP_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
    ast.BitXor: "^", ast.BitAnd: "&", ast.MatMult: "@",
}
_CMP_SYMBOLS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}
_FORBIDDEN = {
    ast.Attribute: "attribute access",
    ast.Slice: "slices (a[i:j])",
    ast.Lambda: "lambda functions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Starred: "starred expressions (*x)",
    ast.List: "list literals",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_ALLOWED_SUMMARY = ("allowed: numbers, strings, names, + - * / // % **, comparisons, and/or/not, "
                    "a if c else b, list[index], and calls of " + ", ".join(sorted(_FUNCTIONS)))


def _forbidden(node: ast.AST, text: str) -> ExpressionError:
    what = _FORBIDDEN.get(type(node), f"{type(node).__name__} expressions")
    snippet = ast.get_source_segment(text, node)
    at = f" ('{snippet}')" if snippet and len(snippet) <= 60 else ""
    return ExpressionError(f"{what}{at} cannot be used in expressions; {_ALLOWED_SUMMARY}")


class _Calls:
    """The function calls of an expression: a part of `_Compiler` (uses its `compile` and `text`)."""

    def c_Call(self, node: ast.Call, depth: int) -> _Fn:
        """A call of one of `_FUNCTIONS` by plain name, its arguments checked now, once."""
        if not isinstance(node.func, ast.Name):
            snippet = ast.get_source_segment(self.text, node.func) or "?"
            raise ExpressionError(f"only the functions {', '.join(sorted(_FUNCTIONS))} can be "
                                  f"called, by plain name; '{snippet}' is not one of them")
        fname = node.func.id
        if fname not in _FUNCTIONS:
            raise ExpressionError(f"unknown function '{fname}'{_suggest(fname, _FUNCTIONS)}")
        func, lo, hi, kw_allowed = _FUNCTIONS[fname]
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise ExpressionError(f"starred arguments (*x) cannot be used in {fname}()")
        kwargs: dict[str, _Fn] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise ExpressionError(f"keyword unpacking (**x) cannot be used in {fname}()")
            if kw.arg not in kw_allowed:
                if kw_allowed:
                    raise ExpressionError(f"{fname}() has no keyword argument '{kw.arg}'; "
                                          f"it takes {', '.join(sorted(kw_allowed))}")
                raise ExpressionError(f"{fname}() takes no keyword arguments "
                                      f"('{kw.arg}=' given); pass arguments by position")
            kwargs[kw.arg] = self.compile(kw.value, depth)
        n = len(node.args)
        if fname == "make_divisible":
            order = ("v", "divisor", "min_value")
            for name in order[:n]:
                if name in kwargs:
                    raise ExpressionError(f"make_divisible() got '{name}' twice")
            n_total = n + len(kwargs)
            if n < 1:
                raise ExpressionError("make_divisible() needs the value to round as its "
                                      "first argument")
        else:
            n_total = n
        if not lo <= n_total <= hi:
            want = f"{lo}" if lo == hi else (f"{lo} to {hi}" if hi < 64 else f"at least {lo}")
            raise ExpressionError(f"{fname}() takes {want} argument{'s' if want != '1' else ''}, "
                                  f"got {n_total}")
        args = tuple(self.compile(a, depth) for a in node.args)
        kwitems = tuple(kwargs.items())
        return _call_closure(fname, func, args, kwitems)


class _Indexing:
    """List indexing in an expression: a part of `_Compiler` (uses its `compile` and `text`)."""

    def c_Subscript(self, node: ast.Subscript, depth: int) -> _Fn:
        """`a[k]`: a list indexed by an integer, negative counting from the end (no slices)."""
        if isinstance(node.slice, ast.Slice):
            raise _forbidden(node.slice, self.text)
        value = self.compile(node.value, depth)
        index = self.compile(node.slice, depth)
        what = _clip(ast.get_source_segment(self.text, node.value) or "?", 40)

        def subscript(s):
            seq, k = value(s), index(s)
            if not isinstance(seq, (list, tuple)):
                raise ExpressionError(f"'{what}' is {_describe(seq)}; only a list can be indexed")
            if type(k) is not int:
                raise ExpressionError(f"the index of '{what}' must be an integer, got {_describe(k)}")
            n = len(seq)
            if not -n <= k < n:
                valid = f"indices {-n} to {n - 1}" if n else "no index is valid"
                raise ExpressionError(f"index {k} is out of range for '{what}', a list of {n:,} "
                                      f"element{'' if n == 1 else 's'} ({valid})")
            return seq[k]

        return subscript


class _Compiler(_Calls, _Indexing):
    """Checks an expression's syntax tree against the whitelist and compiles it into nested closures
    (`c_<NodeType>` per allowed node); `names` collects the scope names it reads."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.names: set[str] = set()

    def compile(self, node: ast.AST, depth: int = 0) -> _Fn:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested too deeply (over {MAX_DEPTH} levels)")
        method = getattr(self, "c_" + type(node).__name__, None)
        if method is None:
            raise _forbidden(node, self.text)
        return method(node, depth + 1)

    # -- leaves
    def c_Constant(self, node: ast.Constant, depth: int) -> _Fn:
        v = node.value
        if v is not None and type(v) not in _NUMBER_TYPES and type(v) is not str:
            kind = {complex: "complex numbers", bytes: "bytes literals"}.get(type(v), repr(v))
            raise ExpressionError(f"{kind} cannot be used in expressions; only numbers, "
                                  "strings, True, False and None")
        if type(v) is float and not math.isfinite(v):
            raise ExpressionError(f"the number {ast.get_source_segment(self.text, node)} "
                                  "is too large for a float")
        return lambda s: v

    def c_Name(self, node: ast.Name, depth: int) -> _Fn:
        name = node.id
        self.names.add(name)

        def name_fn(s):
            try:
                v = s[name]
            except KeyError:
                raise _unknown_name(name, s) from None
            t = type(v)
            if t is int or t is bool or v is None:
                return v
            if t is float and v - v == 0.0:  # finite: inf - inf and nan - nan are nan
                return v
            return _value(name, v)

        return name_fn

    # -- operators
    def c_UnaryOp(self, node: ast.UnaryOp, depth: int) -> _Fn:
        f = self.compile(node.operand, depth)
        op = type(node.op)
        if op is ast.Not:
            return lambda s: not f(s)
        if op is ast.USub:
            sym, func = "-", (lambda x: -x)
        elif op is ast.UAdd:
            sym, func = "+", (lambda x: +x)
        else:
            raise ExpressionError("operator '~' is not allowed in expressions; allowed: "
                                  "unary - + not")

        def unary(s):
            x = f(s)
            if type(x) not in _ARITHMETIC:
                raise ExpressionError(f"cannot apply unary '{sym}' to {_describe(x)}; it needs a number")
            return func(x)

        return unary

    def c_BinOp(self, node: ast.BinOp, depth: int) -> _Fn:
        op = type(node.op)
        sym = _BINOP_SYMBOLS.get(op, "?")
        if op not in _BINOPS:
            raise ExpressionError(f"operator '{sym}' is not allowed in expressions; "
                                  "allowed: + - * / // % **")
        return _BINOPS[op](self.compile(node.left, depth), self.compile(node.right, depth))

    def c_BoolOp(self, node: ast.BoolOp, depth: int) -> _Fn:
        fs = tuple(self.compile(v, depth) for v in node.values)
        if isinstance(node.op, ast.And):
            def and_(s):
                for f in fs:
                    if not f(s):
                        return False
                return True

            return and_

        def or_(s):
            for f in fs:
                if f(s):
                    return True
            return False

        return or_

    def c_Compare(self, node: ast.Compare, depth: int) -> _Fn:
        ops = []
        for o in node.ops:
            if type(o) not in _COMPARES:
                raise ExpressionError(f"comparison '{_CMP_SYMBOLS.get(type(o), '?')}' is not allowed "
                                      "in expressions; allowed: == != < <= > >=")
            ops.append((_CMP_SYMBOLS[type(o)], _COMPARES[type(o)]))
        left = self.compile(node.left, depth)
        rights = tuple(self.compile(c, depth) for c in node.comparators)
        if len(ops) == 1:
            (sym, cmp), right = ops[0], rights[0]

            def compare1(s):
                a, b = left(s), right(s)
                _charge_walk(a, b)
                try:
                    return cmp(a, b)
                except TypeError:
                    raise ExpressionError(f"cannot compare {_kind(a)} and {_kind(b)} "
                                          f"with '{sym}'") from None

            return compare1
        pairs = tuple(zip(ops, rights))

        def compare(s):
            a = left(s)
            for (sym, cmp), right in pairs:
                b = right(s)
                _charge_walk(a, b)
                try:
                    if not cmp(a, b):
                        return False
                except TypeError:
                    raise ExpressionError(f"cannot compare {_kind(a)} and {_kind(b)} "
                                          f"with '{sym}'") from None
                a = b
            return True

        return compare

    def c_IfExp(self, node: ast.IfExp, depth: int) -> _Fn:
        test = self.compile(node.test, depth)
        body = self.compile(node.body, depth)
        orelse = self.compile(node.orelse, depth)
        return lambda s: body(s) if test(s) else orelse(s)


def _call_closure(fname: str, func: Callable, args: tuple, kwitems: tuple) -> _Fn:
    """The closure that calls `func` with the values of `args` (and keywords), turning Python's
    errors into ExpressionErrors; one or two positional arguments take a shorter path."""
    n = len(args)
    isfinite = math.isfinite
    if fname in ("min", "max"):  # they compare their arguments whole
        func = _walking(func)

    def run(s, values):
        try:
            if kwitems:
                r = func(*values, **{k: f(s) for k, f in kwitems})
            else:
                r = func(*values)
        except ExpressionError:
            raise
        except OverflowError:
            raise _too_large(f"in {fname}()") from None
        except (TypeError, ValueError) as e:
            if any(v is None for v in values):
                raise ExpressionError(f"{fname}() needs numbers, got None") from None
            raise ExpressionError(f"{fname}() cannot take these arguments: {e}") from None
        if type(r) is float and not isfinite(r):
            raise _not_finite(fname + "()")
        return r

    if kwitems or n > 2:
        def call(s):
            return run(s, [f(s) for f in args])
    elif n == 2:
        f0, f1 = args

        def call(s):
            a = f0(s)
            b = f1(s)
            try:
                r = func(a, b)
            except Exception:
                return run(s, (a, b))  # calls again, to raise the right error
            if type(r) is float and not isfinite(r):
                raise _not_finite(fname + "()")
            return r
    else:
        (f0,) = args

        def call(s):
            a = f0(s)
            try:
                r = func(a)
            except Exception:
                return run(s, (a,))
            if type(r) is float and not isfinite(r):
                raise _not_finite(fname + "()")
            return r

    return call


def _walking(func: Callable) -> Callable:
    def walking(*values):
        for v in values:
            if type(v) not in _SCALARS:
                _big[0] += _walk_cost(v)
        return func(*values)

    return walking


# -- binary operators: each checks its operand types and bounds before computing.


def _type_error(sym: str, a, b) -> ExpressionError:
    return ExpressionError(f"cannot compute {_kind(a)} {sym} {_kind(b)}; "
                           "operands must be numbers or booleans")


def _make_simple(sym: str, op: Callable[[object, object], object]):
    def factory(left: _Fn, right: _Fn) -> _Fn:
        isfinite = math.isfinite

        def binop(s):
            a = left(s)
            b = right(s)
            if type(a) not in _ARITHMETIC or type(b) not in _ARITHMETIC:
                raise _type_error(sym, a, b)
            try:
                r = op(a, b)
            except TypeError:
                raise _type_error(sym, a, b) from None
            except ZeroDivisionError:
                raise ExpressionError(("modulo" if sym == "%" else "division") + " by zero "
                                      f"('{sym}' with a zero right operand)") from None
            except OverflowError:
                raise _too_large(f"in '{sym}'") from None
            if type(r) is float and not isfinite(r):
                raise _not_finite(sym)
            return r

        return binop

    return factory


def _mul_factory(left: _Fn, right: _Fn) -> _Fn:
    isfinite = math.isfinite

    def mul(s):
        a = left(s)
        b = right(s)
        if type(a) is int and type(b) is int:
            na, nb = a.bit_length(), b.bit_length()
            if na + nb > MAX_BITS:
                raise _too_large("in '*'")
            if na + nb > 128:
                _big[0] += (na * nb) >> BIG_SHIFT
            return a * b
        if type(a) not in _ARITHMETIC or type(b) not in _ARITHMETIC:
            raise _type_error("*", a, b)
        try:
            r = a * b
        except TypeError:
            raise _type_error("*", a, b) from None
        except OverflowError:
            raise _too_large("in '*'") from None
        if type(r) is float and not isfinite(r):
            raise _not_finite("*")
        return r

    return mul


def _power(a, b):
    if type(a) not in _ARITHMETIC or type(b) not in _ARITHMETIC:
        raise _type_error("**", a, b)
    if type(a) in (int, bool) and type(b) in (int, bool) and b > 0 and abs(a) > 1:
        # Estimate the size of the result before computing it: b * log2|a| bits.
        if b > MAX_BITS or b * math.log2(abs(a)) > MAX_BITS:
            raise _too_large("in '**'")
    try:
        r = a**b
    except ZeroDivisionError:
        raise ExpressionError("zero cannot be raised to a negative power") from None
    except OverflowError:
        raise _too_large("in '**'") from None
    except TypeError:
        raise _type_error("**", a, b) from None
    if type(r) is int:
        n = r.bit_length()
        if n > 128:
            _big[0] += (n * n) >> (BIG_SHIFT + 2)
    if type(r) is complex:
        raise ExpressionError(f"{_describe(a)} ** {_describe(b)} has no real value "
                              "(a negative number to a fractional power)")
    if type(r) is float and not math.isfinite(r):
        raise _not_finite("**")
    return r


def _pow_factory(left: _Fn, right: _Fn) -> _Fn:
    return lambda s: _power(left(s), right(s))


def _add(a, b):
    return a + b


def _sub(a, b):
    return a - b


def _div(a, b):
    return a / b


def _floordiv(a, b):
    return a // b


def _mod(a, b):
    return a % b


def _charged(op: Callable[[object, object], object]):
    """`op` that also charges the budget for a division of big integers (quadratic in their size)."""

    def charged(a, b):
        if type(a) is int and type(b) is int:
            n = a.bit_length()
            if n > 64:
                _big[0] += (n * b.bit_length()) >> BIG_SHIFT
        return op(a, b)

    return charged


_BINOPS = {
    ast.Add: _make_simple("+", _add),
    ast.Sub: _make_simple("-", _sub),
    ast.Mult: _mul_factory,
    ast.Div: _make_simple("/", _charged(_div)),
    ast.FloorDiv: _make_simple("//", _charged(_floordiv)),
    ast.Mod: _make_simple("%", _charged(_mod)),
    ast.Pow: _pow_factory,
}


def _eq(a, b):
    return a == b


def _ne(a, b):
    return a != b


# Ordering is for numbers only (Python would also order strings and lists): a TypeError here
# becomes "cannot compare str and str with '<'".
def _lt(a, b):
    if type(a) in _ARITHMETIC and type(b) in _ARITHMETIC:
        return a < b
    raise TypeError


def _le(a, b):
    if type(a) in _ARITHMETIC and type(b) in _ARITHMETIC:
        return a <= b
    raise TypeError


def _gt(a, b):
    if type(a) in _ARITHMETIC and type(b) in _ARITHMETIC:
        return a > b
    raise TypeError


def _ge(a, b):
    if type(a) in _ARITHMETIC and type(b) in _ARITHMETIC:
        return a >= b
    raise TypeError


_COMPARES = {ast.Eq: _eq, ast.NotEq: _ne, ast.Lt: _lt, ast.LtE: _le, ast.Gt: _gt, ast.GtE: _ge}

# --------------------------------------------------------------------------- cache


class _Compiled:
    __slots__ = ("fn", "names", "error", "cost")

    def __init__(self, fn: _Fn | None, names: frozenset[str], error: str | None, cost: int = 1) -> None:
        self.fn = fn
        self.names = names
        self.error = error
        self.cost = cost  # budget steps of one evaluation: its syntax nodes


_cache: dict[str, _Compiled] = {}
_fast: dict[str, _Compiled] = {}  # source -> compiled entry, for valid expressions only


def _compile(value: str, max_length: int) -> _Compiled:
    if len(value) > max_length:
        raise ExpressionError(f"expression is {len(value):,} characters long; "
                              f"the limit is {max_length:,}", value)
    entry = _cache.get(value)
    if entry is None:
        entry = _build(value)
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
            _fast.clear()
        _cache[value] = entry
        if entry.fn is not None:
            _fast[value] = entry
    if entry.error is not None:
        raise ExpressionError(entry.error, value)
    return entry


def _build(value: str) -> _Compiled:
    text = value[2:-1].strip()
    try:
        if not text:
            raise ExpressionError("empty expression '${}'")
        try:
            with warnings.catch_warnings():  # e.g. "invalid decimal literal" for '1if'
                warnings.simplefilter("ignore")
                tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            where = f" at column {e.offset}" if e.offset else ""
            raise ExpressionError(f"invalid expression syntax: {e.msg}{where} in "
                                  f"'{_clip(text)}'") from None
        except (ValueError, RecursionError, MemoryError) as e:
            raise ExpressionError(f"invalid expression syntax: {e} in '{_clip(text)}'") from None
        count = 0
        for _ in ast.walk(tree):
            count += 1
            if count > MAX_NODES:
                raise ExpressionError(f"expression too complex (more than {MAX_NODES} "
                                      "syntax nodes)")
        compiler = _Compiler(text)
        fn = compiler.compile(tree.body)
        return _Compiled(fn, frozenset(compiler.names), None, count)
    except ExpressionError as e:
        return _Compiled(None, frozenset(), e.message)


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# --------------------------------------------------------------------------- public API


def is_expression(value) -> bool:
    """True if ``value`` is a string of the form ``"${...}"`` (the whole string)."""
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def evaluate(value, scope: Mapping[str, object], max_length: int = 1000, budget: Budget | None = None):
    """Evaluate ``value`` if it is an expression, with names from ``scope``; else return it.

    The result is an int, float, bool, None, str or list. Functions: ``len``, ``min max abs``;
    ``round`` is Python's round, i.e. banker's rounding (``round(2.5) == 2``,
    ``round(3.5) == 4``), and ``round(x, n)`` is allowed; ``floor``/``ceil`` return ints;
    ``int`` truncates toward zero; ``make_divisible(v, divisor=8, min_value=None)`` is
    :func:`make_divisible`. Raises :class:`ExpressionError` for anything invalid,
    forbidden or out of bounds, and :class:`BudgetExhausted` once `budget` is spent.
    """
    if type(value) is str:
        entry = _fast.get(value)  # fast path: a valid expression seen before
        if entry is None or len(value) > max_length:
            if not (value.startswith("${") and value.endswith("}")):
                return value
            entry = _compile(value, max_length)
    elif is_expression(value):  # a str subclass
        value = str(value)
        entry = _compile(value, max_length)
    else:
        return value
    big = _big[0]
    try:
        r = entry.fn(scope)
    except ExpressionError as e:
        e.expression = value
        raise
    except (ArithmeticError, TypeError, ValueError) as e:  # a safety net; should not happen
        raise ExpressionError(f"could not evaluate the expression: {e}", value) from None
    except RecursionError:
        raise ExpressionError("expression nested too deeply", value) from None
    finally:
        if budget is not None:
            budget.left -= entry.cost + _big[0] - big
    if budget is not None and budget.left < 0:
        budget.charge(0, value)
    if type(r) is int and not -MAX_RESULT < r < MAX_RESULT:
        raise _too_large(expression=value)
    return r


def names_used(value) -> set[str]:
    """The scope names an expression refers to (not function names); empty for a non-expression.

    Raises :class:`ExpressionError` if the expression is invalid or forbidden.
    """
    if not is_expression(value):
        return set()
    return set(_compile(value, max(1000, len(value))).names)
