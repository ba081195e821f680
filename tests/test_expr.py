"""Tests for netspec.expr: the safe, bounded ${...} evaluator and make_divisible."""

from __future__ import annotations

import math
import time
from collections import ChainMap
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspec.expr import ExpressionError, evaluate, is_expression, make_divisible, names_used

SCOPE = {"width": 1.4, "out": 24, "i": 0, "in_channels": 32, "stride": 1, "expand": 6, "x": 5}


def ev(text: str, scope=SCOPE, **kw):
    return evaluate("${" + text + "}", scope, **kw)


def err(text: str, scope=SCOPE, **kw) -> str:
    with pytest.raises(ExpressionError) as info:
        ev(text, scope, **kw)
    e = info.value
    assert e.message and str(e) == e.message
    return e.message


# --------------------------------------------------------------------------- recognising


@pytest.mark.parametrize("value,expected", [
    ("${x}", True),
    ("${ 1 + 2 }", True),
    ("${}", True),             # an expression, though an empty (invalid) one
    ("x", False),
    ("${x", False),
    ("x}", False),
    ("a${x}", False),          # only the whole string counts
    ("${x}b", False),
    ("$x", False),
    (3, False),
    (None, False),
    (["${x}"], False),
])
def test_is_expression(value, expected):
    assert is_expression(value) is expected


@pytest.mark.parametrize("value", [3, 2.5, True, None, "relu", "${x", "conv_${i}", [1, "${x}"], {"a": 1}])
def test_non_expressions_are_returned_unchanged(value):
    assert evaluate(value, SCOPE) is value


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize("text,expected", [
    ("1", 1),
    ("2 + 3 * 4", 14),             # * binds tighter
    ("(2 + 3) * 4", 20),
    ("10 - 4 - 3", 3),             # left-associative: (10-4)-3
    ("2 ** 3 ** 2", 512),          # right-associative: 2**(3**2) = 2**9
    ("-2 ** 2", -4),               # ** binds tighter than unary minus: -(2**2)
    ("(-2) ** 2", 4),
    ("2 ** -1", 0.5),
    ("7 // 2", 3),
    ("-7 // 2", -4),               # floor division rounds toward -inf
    ("-7 % 3", 2),                 # Python modulo has the divisor's sign: -7 = -3*3 + 2
    ("7 % -3", -2),
    ("2 * 3 % 4", 2),              # same precedence, left to right: 6 % 4
    ("7 / 2", 3.5),
    ("1 + +1", 2),
    ("- - 3", 3),
    ("x * 2 + 1", 11),             # x = 5
    ("in_channels * expand", 192),  # 32 * 6
    ("out * width", 24 * 1.4),
    ("True + True", 2),
    ("2**63 - 1", 2**63 - 1),      # the largest allowed int result
    ("2**100 // 2**90", 1024),     # large intermediates are fine, only the result is bounded
    ("0.1 + 0.2", 0.1 + 0.2),
])
def test_arithmetic(text, expected):
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


def test_ints_stay_ints_and_true_division_gives_float():
    assert type(ev("8 // 2")) is int
    assert type(ev("8 / 2")) is float and ev("8 / 2") == 4.0
    assert type(ev("in_channels * 2")) is int


@pytest.mark.parametrize("text,expected", [
    ("1 < 2", True),
    ("1 == 1.0", True),
    ("1 != 1", False),
    ("2 >= 2", True),
    ("2 <= 1", False),
    ("1 < 2 < 3", True),           # chained: 1<2 and 2<3
    ("1 < 3 < 2", False),          # 3<2 fails
    ("3 > 2 > 1 == 1", True),
    ("1 < 2 > 0", True),           # 1<2 and 2>0
    ("1 + 2 == 3", True),          # arithmetic binds tighter than ==
    ("not 1 == 2", True),          # not binds looser than ==: not (1==2)
    ("not 0", True),
    ("not x", False),
    ("True and False", False),
    ("True and 1 < 2", True),
    ("False or 1 == 1", True),
    ("0 or 5", True),              # and/or give bools, not an operand
    ("3 and 0", False),
    ("1 or 0 and 0", True),        # and binds tighter: 1 or (0 and 0)
    ("not 1 or 1", True),          # (not 1) or 1
    ("stride == 1 and in_channels == 32", True),
])
def test_comparisons_and_boolean_ops(text, expected):
    result = ev(text)
    assert result is expected      # always a real bool


@pytest.mark.parametrize("text,expected", [
    ("2 if i == 0 else 1", 2),     # i = 0
    ("2 if i == 1 else 1", 1),
    ("1 if x > 3 else 2 if x > 1 else 3", 1),   # x = 5; right-nested ternary
    ("1 if x > 9 else 2 if x > 1 else 3", 2),
    ("(1 if x > 9 else 2) * 10", 20),
    ("1 + 2 if False else 3 + 4", 7),            # ternary binds loosest: (1+2) if False else (3+4)
])
def test_ternary(text, expected):
    assert ev(text) == expected


def test_short_circuit_skips_the_unevaluated_branch():
    scope = {"z": 0}
    assert ev("z == 0 or 10 / z > 1", scope) is True       # 10/0 never computed
    assert ev("z != 0 and 10 / z > 1", scope) is False
    assert ev("1 if z == 0 else 1 / z", scope) == 1
    assert ev("z or 0 < 1 < 2", scope) is True


@pytest.mark.parametrize("text,expected", [
    ("floor(2.7)", 2),
    ("floor(-2.5)", -3),
    ("ceil(2.1)", 3),
    ("ceil(-2.5)", -2),
    ("int(2.7)", 2),               # truncates toward zero
    ("int(-2.7)", -2),
    ("int(True)", 1),
    ("round(2.5)", 2),             # banker's rounding: to the even neighbour
    ("round(3.5)", 4),
    ("round(0.5)", 0),
    ("round(-2.5)", -2),
    ("round(2.6)", 3),
    ("round(2.675, 2)", 2.67),     # 2.675 is 2.67499999... in binary
    ("round(1234, -2)", 1200),
    ("abs(-3)", 3),
    ("abs(-2.5)", 2.5),
    ("min(3, 1, 2)", 1),
    ("max(1, 2.5)", 2.5),
    ("max(in_channels, out * 2)", 48),
    ("min(max(0, x), 3)", 3),
])
def test_functions(text, expected):
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


def test_floor_ceil_round_return_ints():
    for text in ("floor(2.5)", "ceil(2.5)", "round(2.5)", "int(2.5)", "make_divisible(20.0)"):
        assert type(ev(text)) is int, text


# --------------------------------------------------------------------------- make_divisible


@pytest.mark.parametrize("args,expected", [
    # v = 32*1.4 = 44.8: int(44.8+4) = 48; 48//8*8 = 48; 48 >= 0.9*44.8 = 40.32 -> 48
    ((32 * 1.4, 8), 48),
    # v = 16*1.4 = 22.4: int(26.4) = 26; 26//8*8 = 24; 24 >= 20.16 -> 24
    ((16 * 1.4, 8), 24),
    # v = 24*0.75 = 18.0: int(22.0) = 22; 22//8*8 = 16; 16 < 0.9*18 = 16.2 -> 16+8 = 24
    ((24 * 0.75, 8), 24),
    # v = 1280*1.4 = 1792.0: int(1796.0) = 1796; 1796//8*8 = 1792; 1792 >= 1612.8 -> 1792
    ((1280 * 1.4, 8), 1792),
    # v = 3: int(7.0) = 7; 7//8*8 = 0; max(8, 0) = 8; 8 >= 2.7 -> 8 (never below the divisor)
    ((3, 8), 8),
    # v = 96*0.35 = 33.6: int(37.6) = 37; 37//8*8 = 32; 32 >= 30.24 -> 32
    ((96 * 0.35, 8), 32),
    # v = 32*0.35 = 11.2: int(15.2) = 15; 15//8*8 = 8; max(8, 8) = 8; 8 < 10.08 -> 16
    ((32 * 0.35, 8), 16),
    # v = 16*0.35 = 5.6: int(9.6) = 9; 9//8*8 = 8; 8 >= 5.04 -> 8
    ((16 * 0.35, 8), 8),
    # v = 24*0.35 = 8.4: int(12.4) = 12; 12//8*8 = 8; 8 >= 7.56 -> 8
    ((24 * 0.35, 8), 8),
    # v = 64*0.35 = 22.4: int(26.4) = 26; 26//8*8 = 24; 24 >= 20.16 -> 24
    ((64 * 0.35, 8), 24),
    # v = 320*1.4 = 448.0: int(452.0) = 452; 452//8*8 = 448 -> 448
    ((320 * 1.4, 8), 448),
    # v = 1024*0.75 = 768.0: int(772.0) = 772; 772//8*8 = 768 -> 768
    ((1024 * 0.75, 8), 768),
    # v = 24*0.5 = 12.0: int(16.0) = 16; 16//8*8 = 16 -> 16 (half-way rounds up)
    ((24 * 0.5, 8), 16),
    # v = 40*0.75 = 30.0: int(34.0) = 34; 34//8*8 = 32; 32 >= 27 -> 32
    ((40 * 0.75, 8), 32),
    # v = 100: int(104.0) = 104; 104//8*8 = 104 -> 104
    ((100, 8), 104),
    # v = 52, divisor 16: int(60.0) = 60; 60//16*16 = 48; 48 >= 46.8 -> 48
    ((52, 16), 48),
    # v = 39, divisor 16: int(47.0) = 47; 47//16*16 = 32; 32 < 35.1 -> 48
    ((39, 16), 48),
    # v = 10, min_value 16: int(14.0) = 14; 14//8*8 = 8; max(16, 8) = 16; 16 >= 9 -> 16
    ((10, 8, 16), 16),
    # v = 10, divisor 4: int(12.0) = 12; 12//4*4 = 12 -> 12
    ((10, 4), 12),
])
def test_make_divisible_table(args, expected):
    result = make_divisible(*args)
    assert result == expected and type(result) is int
    # the same through an expression
    text = "make_divisible(" + ", ".join(repr(a) for a in args) + ")"
    assert ev(text) == expected


def test_make_divisible_rejects_non_finite_direct_calls():
    for bad in (math.inf, math.nan):
        with pytest.raises(ExpressionError):
            make_divisible(bad)
    with pytest.raises(ExpressionError):
        make_divisible(10, math.inf)


def test_make_divisible_defaults_and_keywords():
    assert make_divisible(44.8) == 48                           # divisor defaults to 8
    assert ev("make_divisible(out * width, 8)") == 32           # 33.6 -> int(37.6)=37 -> 32
    assert ev("make_divisible(out * width)") == 32
    assert ev("make_divisible(10, divisor=4)") == 12            # as in the table
    assert ev("make_divisible(10, 8, min_value=16)") == 16
    assert ev("make_divisible(10, divisor=8, min_value=None)") == 16   # 8 < 9 -> 16
    assert ev("make_divisible(10, min_value=n)", {"n": None}) == 16
    assert ev("make_divisible(3, divisor=4, min_value=None)") == 4     # int(5)//4*4 = 4


@pytest.mark.parametrize("text,fragment", [
    ("make_divisible(10, 0)", "positive integer"),
    ("make_divisible(10, -8)", "positive integer"),
    ("make_divisible(10, 2.5)", "positive integer"),
    ("make_divisible(None)", "needs a number"),
    ("make_divisible(10, 8, foo=1)", "no keyword argument 'foo'"),
    ("make_divisible(10, 8, divisor=4)", "'divisor' twice"),
    ("make_divisible(divisor=4)", "first argument"),
    ("make_divisible(1, 2, 3, 4)", "takes 1 to 3 arguments"),
    ("make_divisible()", "first argument"),
])
def test_make_divisible_bad_arguments(text, fragment):
    assert fragment in err(text)


# --------------------------------------------------------------------------- forbidden things


@pytest.mark.parametrize("text,fragment", [
    ("().__class__", "attribute access"),
    ("x.y", "attribute access ('x.y')"),
    ("x.y()", "by plain name"),
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('true')", "by plain name"),
    ("[x for x in range(9)]", "comprehensions"),
    ("{x for x in range(9)}", "comprehensions"),
    ("(x for x in range(9))", "generator expressions"),
    ("lambda: 1", "lambda"),
    ("(lambda: 1)()", "by plain name"),
    ("f'{1}'", "f-strings"),
    ("'9'*10**6", "cannot compute str * int"),        # strings take part in no arithmetic
    ('"9"*10**6', "cannot compute str * int"),
    ("b'9'", "bytes literals"),
    ("1j", "complex numbers"),
    ("...", "cannot be used"),
    ("x[0:1]", "slices"),
    ("(y := 3)", "assignment expressions (:=)"),
    ("min(*x)", "starred"),
    ("min(**x)", "keyword unpacking"),
    ("min(1, 2, key=3)", "min() takes no keyword arguments"),
    ("round(2.5, ndigits=1)", "round() takes no keyword arguments"),
    ("(1, 2)", "tuples"),
    ("[1]", "list literals"),
    ("{1: 2}", "dicts"),
    ("{1}", "sets"),
    ("1 << 2", "operator '<<' is not allowed"),
    ("1 >> 2", "operator '>>' is not allowed"),
    ("1 & 2", "operator '&' is not allowed"),
    ("1 | 2", "operator '|' is not allowed"),
    ("1 ^ 2", "operator '^' is not allowed"),
    ("x @ x", "operator '@' is not allowed"),
    ("~1", "'~' is not allowed"),
    ("1 is 1", "comparison 'is' is not allowed"),
    ("1 is not 1", "comparison 'is not' is not allowed"),
    ("1 in x", "comparison 'in' is not allowed"),
    ("1 not in x", "comparison 'not in' is not allowed"),
    ("await x", "await"),
    ("foo(1)", "unknown function 'foo'"),
    ("print(1)", "unknown function 'print'"),
    ("range(9)", "unknown function 'range'"),
    ("make_divisable(3)", "did you mean 'make_divisible'?"),
    ("unknown", "unknown name 'unknown'"),
    ("abs", "unknown name 'abs'"),          # functions are not values
    ("__builtins__", "unknown name '__builtins__'"),
])
def test_forbidden_constructs(text, fragment):
    assert fragment in err(text)


def test_unknown_name_suggests_and_lists_known_names():
    message = err("widht", {"width": 1.0, "i": 0})
    assert message == "unknown name 'widht' (did you mean 'width'?; known: i, width)"
    assert err("zzz", {"width": 1.0}) == "unknown name 'zzz' (known: width)"
    assert "no names are defined" in err("zzz", {})


def test_unknown_function_lists_the_functions():
    message = err("foo(1)")
    assert message.startswith("unknown function 'foo'")
    for name in ("abs", "ceil", "floor", "int", "make_divisible", "max", "min", "round"):
        assert name in message


@pytest.mark.parametrize("text,fragment", [
    ("1 +", "invalid expression syntax"),
    ("1 2", "invalid expression syntax"),
    ("(1", "invalid expression syntax"),
    ("*x", "invalid expression syntax"),
    ("yield", "invalid expression syntax"),
    ("x = 1", "invalid expression syntax"),
    ("", "empty expression"),
    ("   ", "empty expression"),
])
def test_syntax_errors(text, fragment):
    message = err(text)
    assert fragment in message
    if text.strip():
        assert text.strip() in message       # the offending text is shown


@pytest.mark.parametrize("text,arity", [
    ("min(1)", "at least 2"),
    ("abs(1, 2)", "takes 1 argument"),
    ("floor()", "takes 1 argument"),
    ("round(1, 2, 3)", "takes 1 to 2 arguments"),
])
def test_wrong_argument_counts(text, arity):
    assert arity in err(text)


# --------------------------------------------------------------------------- bounds


@pytest.mark.parametrize("text,fragment", [
    ("1/0", "division by zero"),
    ("1//0", "division by zero"),
    ("1%0", "modulo by zero"),
    ("1.0 % 0", "modulo by zero"),
    ("x / (x - 5)", "division by zero"),
    ("0 ** -1", "zero cannot be raised to a negative power"),
    ("10**10**10", "too large"),
    ("2**2**40", "too large"),
    ("9**9**9**9", "too large"),
    ("2**(2**5000)", "too large"),
    ("(2**5000) * (2**5001)", "too large"),
    ("2**63", "too large"),                 # result bound: abs(int) < 2**63
    ("-(2**63)", "too large"),
    ("2**62 * 2", "too large"),
    ("1e308 * 10", "infinite"),
    ("1e999", "too large for a float"),
    ("2.0 ** 5000", "too large"),
    ("2**5000 / 3", "too large"),
    ("(-8) ** 0.5", "no real value"),
    ("round(5, -10**9)", "ndigits"),
    ("floor(None)", "needs numbers"),
    ("None + 1", "cannot compute None + int"),
    ("-None", "unary '-'"),
    ("None < 1", "cannot compare None and int"),
    ("min(None, 1)", "needs numbers"),
])
def test_bounded_and_arithmetic_errors(text, fragment):
    assert fragment in err(text)


@pytest.mark.parametrize("text", ["10**10**10", "2**2**40", "9**9**9**9", "(2**9999)*(2**9999)",
                                  "2**-(2**5000)", "1.5**(2**5000)", "round(5, -10**6)"])
def test_huge_computations_fail_fast(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError):
        ev(text)
    assert time.perf_counter() - start < 0.1   # microseconds in practice; generous for slow CI


def test_length_limit():
    long_text = "${" + "1+" * 999 + "1}"        # 2 + 1,998 + 2 = 2,002 characters
    assert len(long_text) == 2002
    with pytest.raises(ExpressionError) as info:
        evaluate(long_text, {})
    assert "2,002 characters" in info.value.message and "1,000" in info.value.message
    assert evaluate("${1+1}", {}, max_length=6) == 2
    with pytest.raises(ExpressionError, match="limit is 5"):
        evaluate("${1+1}", {}, max_length=5)


def test_node_count_and_depth_limits():
    with pytest.raises(ExpressionError, match="too complex"):
        evaluate("${" + "1+" * 300 + "1}", {}, max_length=10_000)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        evaluate("${" + "-" * 240 + "1}", {}, max_length=10_000)
    # deep but within limits: a 150-term left-nested sum and 150 unary minus signs
    assert evaluate("${" + "1+" * 149 + "1}", {}, max_length=10_000) == 150
    assert evaluate("${" + "-" * 150 + "1}", {}, max_length=10_000) == 1


def test_scope_values_are_numbers_strings_or_lists():
    assert "cannot compute str * int" in err("s * 10**8", {"s": "abc"})
    assert ev("l", {"l": [1, 2]}) == [1, 2]
    assert "not a number, boolean, string, list or None" in err("d", {"d": {"a": 1}})
    assert "finite" in err("f + 1", {"f": math.inf})
    assert "finite" in err("f", {"f": math.nan})
    assert ev("n", {"n": None}) is None
    assert "cannot compute None + int" in err("n + 1", {"n": None})


# --------------------------------------------------------------------------- strings and lists

LISTS = {"depths": [3, 4, 6, 3], "acts": ["relu", "hswish"], "act": "hswish", "i": 1, "empty": [], "flags": [True]}


@pytest.mark.parametrize("text,expected", [
    ("depths[i]", 4),
    ("depths[0] + depths[-1]", 6),                  # negative indices count from the end
    ("depths[-4]", 3),
    ("depths[len(depths) - 1]", 3),
    ("depths[depths[0] - 1]", 6),
    ("len(depths)", 4),
    ("len(empty)", 0),
    ("len(act)", 6),
    ("acts[i]", "hswish"),
    ("act", "hswish"),
    ("'relu'", "relu"),
    ('"relu" if i == 0 else "hswish"', "hswish"),
    ("act == 'hswish'", True),
    ("act != 'hswish'", False),
    ("act == acts[1] and act != 'relu'", True),
    ("act == 3", False),                            # equality across types is simply false
    ("depths == depths", True),
    ("flags[0]", True),
    ("depths", [3, 4, 6, 3]),                       # a list passes through (to a block arg)
])
def test_strings_and_lists(text, expected):
    assert ev(text, LISTS) == expected


@pytest.mark.parametrize("text,fragment", [
    ("depths[4]", "index 4 is out of range for 'depths', a list of 4 elements (indices -4 to 3)"),
    ("depths[-5]", "index -5 is out of range"),
    ("empty[0]", "a list of 0 elements (no index is valid)"),
    ("flags[1]", "a list of 1 element (indices -1 to 0)"),
    ("depths[1.0]", "the index of 'depths' must be an integer, got 1.0"),
    ("depths[True]", "must be an integer, got True"),
    ("depths['a']", "must be an integer, got the string 'a'"),
    ("act[0]", "'act' is the string 'hswish'; only a list can be indexed"),
    ("i[0]", "'i' is 1; only a list can be indexed"),
    ("depths[0:2]", "slices"),
    ("act + 'x'", "cannot compute str + str"),
    ("depths * 10**6", "cannot compute list * int"),
    ("depths + depths", "cannot compute list + list"),
    ("'%s' % act", "cannot compute str % str"),
    ("act ** 2", "cannot compute str ** int"),
    ("-act", "cannot apply unary '-' to the string 'hswish'"),
    ("act < 'z'", "cannot compare str and str with '<'"),
    ("depths >= depths", "cannot compare list and list with '>='"),
    ("1 < act", "cannot compare int and str"),
    ("len(3)", "len() needs a list or a string, got 3"),
    ("len(depths, act)", "takes 1 argument"),
    ("depths.count(3)", "by plain name"),
])
def test_string_and_list_errors(text, fragment):
    assert fragment in err(text, LISTS)


def test_no_operator_builds_a_large_value():
    """Strings and lists take part in no arithmetic: nothing can be repeated or concatenated."""
    big = {"s": "x" * 1000, "l": list(range(10_000))}
    for text in ("s * 10**9", "l * 10**9", "s + s", "l + l", "10**9 * s"):
        start = time.perf_counter()
        assert "cannot compute" in err(text, big)
        assert time.perf_counter() - start < 0.1


# --------------------------------------------------------------------------- API details


def test_error_attributes():
    with pytest.raises(ExpressionError) as info:
        evaluate("${1/0}", {})
    assert info.value.expression == "${1/0}"
    assert isinstance(info.value.message, str)
    assert str(info.value) == info.value.message


def test_cached_expression_uses_the_current_scope():
    e = "${make_divisible(out * width, 8)}"
    assert evaluate(e, {"out": 24, "width": 1.4}) == 32   # 33.6 -> 32
    assert evaluate(e, {"out": 24, "width": 1.0}) == 24
    assert evaluate(e, {"out": 32, "width": 1.4}) == 48   # 44.8 -> 48
    with pytest.raises(ExpressionError, match="unknown name 'width'"):
        evaluate(e, {"out": 24})
    for _ in range(2):                                    # cached errors still raise
        with pytest.raises(ExpressionError, match="attribute access"):
            evaluate("${x.y}", {"x": 1})


def test_any_mapping_works_as_scope():
    assert ev("a + b", ChainMap({"a": 1}, {"b": 2})) == 3
    assert ev("a * 2", MappingProxyType({"a": 4})) == 8


def test_str_subclass_and_whitespace():
    class S(str):
        pass

    assert evaluate(S("${1 + 2}"), {}) == 3
    assert ev("  x + 1  ") == 6


def test_names_used():
    assert names_used("${make_divisible(out * width, 8) if i else in_channels}") == {
        "out", "width", "i", "in_channels"}
    assert names_used("${min(1, 2) + True}") == set()          # functions and constants are not names
    assert names_used("relu") == set()
    assert names_used(3) == set()
    with pytest.raises(ExpressionError):
        names_used("${x.y}")


# --------------------------------------------------------------------------- property tests

_NAMES = {"a": 3, "b": -2, "c": 0, "w": 1.5}


def _py_pow(x, k):
    """Python's ** plus the two refusals netspec documents, so the oracle cannot hang either."""
    if isinstance(x, int) and isinstance(k, int) and k > 0 and abs(x) > 1 \
            and k * math.log2(abs(x)) > 10_000:
        raise OverflowError("too large")
    r = x**k
    if isinstance(r, complex):
        raise ValueError("complex result")
    return r


_PY_NAMESPACE = {
    "__builtins__": {}, "bool": bool, "_pow": _py_pow, "min": min, "max": max, "abs": abs, "round": round,
    "floor": math.floor, "ceil": math.ceil, "int": int, "make_divisible": make_divisible,
    **_NAMES,
}


def _leaf():
    ints = st.integers(-9, 9).map(lambda n: (str(n), str(n)) if n >= 0 else (f"({n})", f"({n})"))
    floats = st.sampled_from(["0.5", "2.5", "1.25"]).map(lambda t: (t, t))
    other = st.sampled_from(["True", "False", "a", "b", "c", "w"]).map(lambda t: (t, t))
    return st.one_of(ints, ints, floats, other)


def _extend(children):
    """Each strategy yields (our text, the same expression as plain Python text).

    The texts are identical except that and/or become bool(...) in the Python one, since
    netspec's and/or give a bool, and x ** k becomes _pow(x, k), which refuses complex
    results and huge integers as netspec does (even where a later comparison or abs()
    would hide them); every and/or, comparison, ternary and unary operation is
    parenthesised so that the two texts parse to the same tree shape.
    """
    pair = st.tuples(children, children)

    def binop(args):
        (x, xr), (y, yr), op, paren = args
        if paren:
            return f"({x}) {op} ({y})", f"({xr}) {op} ({yr})"
        return f"{x} {op} {y}", f"{xr} {op} {yr}"

    def power(args):
        (x, xr), k = args                      # a literal exponent keeps Python's own eval small
        return f"({x}) ** {k}", f"_pow({xr}, {k})"

    def compare(args):
        (x, xr), (y, yr), op = args
        return f"({x} {op} {y})", f"({xr} {op} {yr})"

    def chain(args):
        (x, xr), (y, yr), (z, zr), o1, o2 = args
        return f"({x} {o1} {y} {o2} {z})", f"({xr} {o1} {yr} {o2} {zr})"

    def boolop(args):
        (x, xr), (y, yr), op = args
        return f"({x} {op} {y})", f"bool({xr} {op} {yr})"

    def ternary(args):
        (x, xr), (c, cr), (y, yr) = args
        return f"({x} if {c} else {y})", f"({xr} if {cr} else {yr})"

    def unary(args):
        (x, xr), op = args
        return f"({op}({x}))", f"({op}({xr}))"

    def call1(args):
        (x, xr), fn = args
        return f"{fn}({x})", f"{fn}({xr})"

    def call2(args):
        (x, xr), (y, yr), fn = args
        return f"{fn}({x}, {y})", f"{fn}({xr}, {yr})"

    cmp_ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        st.tuples(children, children, st.sampled_from(["+", "-", "*", "/", "//", "%"]),
                  st.booleans()).map(binop),
        st.tuples(children, st.sampled_from(["0", "1", "2", "3", "(-1)", "(-2)", "0.5"])).map(power),
        st.tuples(children, children, cmp_ops).map(compare),
        st.tuples(children, children, children, cmp_ops, cmp_ops).map(chain),
        st.tuples(children, children, st.sampled_from(["and", "or"])).map(boolop),
        st.tuples(children, children, children).map(ternary),
        st.tuples(children, st.sampled_from(["-", "+", "not "])).map(unary),
        st.tuples(children, st.sampled_from(["abs", "floor", "ceil", "int", "round",
                                             "make_divisible"])).map(call1),
        st.tuples(children, children, st.sampled_from(["min", "max"])).map(call2),
        pair.map(lambda p: (f"({p[0][0]})", f"({p[0][1]})")),
    )


EXPRESSIONS = st.recursive(_leaf(), _extend, max_leaves=20)


def _acceptable_to_refuse(value) -> bool:
    if isinstance(value, complex):
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) >= 2**63
    return False


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_agrees_with_python(pair):
    ours_text, python_text = pair
    try:
        expected = eval(python_text, dict(_PY_NAMESPACE))  # noqa: S307 - test oracle, fixed grammar
        python_error = None
    except (ArithmeticError, ValueError, TypeError) as e:
        expected, python_error = None, e
    try:
        got = evaluate("${" + ours_text + "}", _NAMES, max_length=100_000)
    except ExpressionError as e:
        assert e.message
        # refusing is right when Python fails or gives a value netspec does not allow;
        # otherwise only the intermediate-size bound may refuse
        assert python_error is not None or _acceptable_to_refuse(expected) or "too large" in e.message, \
            (ours_text, expected, e.message)
        return
    assert python_error is None, (ours_text, python_error, got)
    assert not _acceptable_to_refuse(expected)
    assert got == expected, (ours_text, python_text, got, expected)
    assert type(got) is type(expected), (ours_text, got, expected)


_EXPRESSION_CHARS = "abcwxyz0123456789 +-*/%().,<>=!~&|^@[]{}'\":_ifelsnotandormaxbsud\n\\"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_EXPRESSION_CHARS, max_size=60))
def test_fuzz_never_raises_anything_but_expression_error(text):
    try:
        evaluate("${" + text + "}", _NAMES)
    except ExpressionError as e:
        assert e.message


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.0, max_value=1e6, allow_nan=False),
       st.sampled_from([1, 2, 4, 8, 16, 32]))
def test_make_divisible_properties(v, divisor):
    r = make_divisible(v, divisor)
    assert isinstance(r, int)
    assert r % divisor == 0
    assert r >= divisor
    assert r >= 0.9 * v                          # never loses more than 10%
    assert r <= max(divisor, v + divisor / 2 + divisor)  # rounding, plus at most one bump


def test_walking_a_list_or_a_string_is_charged_by_its_size():
    """`==` walks its operands whole, and so do min/max: a step per list element, one per KiB of a
    string (issue 12, item 12 with the lists and strings of format 1.1)."""
    from netspec.expr import Budget, BudgetExhausted

    # 9,765 KiB: 2 x 9,765 = 19,530 steps for one comparison, and 7 for its syntax nodes as ast.walk counts
    # them (Expression, Compare, Name, Eq, Name, Load, Load)
    text = "x" * 10_000_000
    budget = Budget(19_537)
    assert evaluate("${s == s}", {"s": text}, budget=budget) is True
    assert budget.left == 0
    with pytest.raises(BudgetExhausted):
        evaluate("${s == s}", {"s": text}, budget=budget)
    numbers = list(range(1000))
    budget = Budget(10_000)
    for _ in range(4):  # 2,000 steps for the two lists, 7 for the nodes of `d != d`
        assert evaluate("${d != d}", {"d": numbers}, budget=budget) is False
    assert budget.left == 10_000 - 4 * 2_007
    with pytest.raises(BudgetExhausted):
        evaluate("${d != d}", {"d": numbers}, budget=budget)
