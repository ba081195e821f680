"""Human units for counts (301M, 3.66G) and bytes (13.4 MiB, 4.01 MB): three significant digits,
enough to compare with published tables; exact integers stay in JSON/CSV."""

from __future__ import annotations

_COUNT = (1000, ("K", "M", "G", "T"), "")
_IEC = (1024, (" KiB", " MiB", " GiB", " TiB"), " B")
_SI_BYTES = (1000, (" KB", " MB", " GB", " TB"), " B")


def _three_digits(n: int | float, system) -> str:
    base, suffixes, plain = system
    n = float(n)
    if abs(n) < base:
        return f"{n:.0f}{plain}"
    scaled, i = n, -1
    while i + 1 < len(suffixes) and abs(scaled) >= base:
        scaled, i = scaled / base, i + 1
    text = f"{scaled:.{2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0}f}"
    if abs(float(text)) >= base and i + 1 < len(suffixes):  # 999.7K rounds to 1000K: say 1.00M
        scaled, i = scaled / base, i + 1
        text = f"{scaled:.2f}"
    return text + suffixes[i]


def count(n: int | float) -> str:
    """300,774,272 -> 301M; 3,662,000,000 -> 3.66G; 864 -> 864."""
    return _three_digits(n, _COUNT)


def nbytes(n: int | float, si: bool = False) -> str:
    """6,021,120 -> 5.74 MiB (or 6.02 MB with si=True)."""
    return _three_digits(n, _SI_BYTES if si else _IEC)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 layer`, `12 layers`, `1 output channel`."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def seconds(t: float, digits: int = 3) -> str:
    """0.00123 -> 1.23 ms; three significant digits (or `digits`) from nanoseconds to seconds
    (999.7 us -> 1.00 ms); 0 -> 0."""
    if t == 0:
        return "0"
    units = ((1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s"))
    i = next((k for k in range(len(units) - 1, -1, -1) if abs(t) >= units[k][0]), 0)
    for k in (i, i + 1):
        scaled = t / units[min(k, 3)][0]
        whole = len(str(int(abs(scaled)))) if abs(scaled) >= 1 else 1
        text = f"{scaled:.{max(digits - whole, 0)}f}"
        if abs(float(text)) < 1000 or k >= 3:
            return f"{text} {units[min(k, 3)][1]}"
    return f"{text} {units[3][1]}"
