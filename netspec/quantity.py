"""Quantities of the contract: plain numbers, SI suffixes for counts (4.2M), IEC or SI for bytes (8MiB)."""

from __future__ import annotations

import re

_Q = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([KMGT]i?B?|B)?\s*$")
_SI = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_IEC = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


class QuantityError(ValueError):
    pass


def parse_quantity(value, bytes_: bool = False) -> int:
    """4.2M -> 4_200_000; 8MiB -> 8_388_608; 16MB -> 16_000_000. Rounded to the nearest integer."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a quantity")
    if isinstance(value, (int, float)):
        if value < 0 or value != value or value in (float("inf"),):
            raise QuantityError(f"{value!r} is not a quantity (a number >= 0)")
        return round(value)
    m = _Q.match(str(value))
    if not m:
        raise QuantityError(f"{value!r} is not a quantity (use a number, or K/M/G/T, KiB/MiB/GiB, KB/MB/GB)")
    number, suffix = m.group(1), m.group(2) or ""
    unit = suffix[:-1] if suffix.endswith("B") else suffix
    factor = _IEC.get(unit) or _SI.get(unit)
    if factor is None:
        raise QuantityError(f"{value!r} is not a quantity")
    if len(number) > 40:  # Fraction() of 5,000 digits raises ValueError (Python's int-conversion limit)
        raise QuantityError(f"{number[:20]}… ({len(number):,} digits) is not a quantity: too many digits")
    from fractions import Fraction

    return round(Fraction(number) * factor)



_TIME = r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(s|ms|us|µs|μs|ns)\s*$"  # compiled on first use: a check
# without a latency budget never pays for it
_TIME_DIVISORS = {"s": 1, "ms": 10**3, "us": 10**6, "µs": 10**6, "μs": 10**6, "ns": 10**9}


def parse_time(value) -> float:
    """5ms -> 0.005 seconds; `s`, `ms`, `us` (or `µs`) and `ns`. A bare number is refused (seconds or
    milliseconds? the reader cannot tell), except 0."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a time")
    if isinstance(value, (int, float)) and value == 0:
        return 0.0
    m = re.match(_TIME, str(value)) if len(str(value)) <= 60 else None
    if not m:
        raise QuantityError(f"{value!r} is not a time (a number with a unit: 5ms, 250us, 1.5s, 800ns)")
    return float(m.group(1)) / _TIME_DIVISORS[m.group(2)]


def parse_rate(value) -> float:
    """A bandwidth: 2039GB/s, 1.6 TB/s, 68GB/s, 100 GiB/s -> bytes per second (the `/s` is required)."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.endswith("/s"):
        raise QuantityError(f"{value!r} is not a bandwidth (bytes per second: 68GB/s, 2TB/s, 100GiB/s)")
    body = text[:-2].strip()
    if not body.endswith("B"):
        raise QuantityError(f"{value!r} is not a bandwidth (bytes per second: 68GB/s, 2TB/s, 100GiB/s)")
    return float(parse_quantity(body, bytes_=True))
