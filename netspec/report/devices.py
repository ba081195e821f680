"""`netspec devices`: the device profiles, every figure with its source, as text or JSON."""

from __future__ import annotations

import json

from .escape import visible


def _amount(f) -> str:
    """As the profile writes it, with the unit where the text has none: `19.5T FLOP/s`, `2039GB/s`."""
    if f.unit in ("FLOP/s", "OP/s", "MAC/s"):
        return f"{f.raw} {f.unit}"
    return f.raw


def _efficiency(device) -> str:
    comp = ", ".join(f"{k} {v:.3g}" for k, v in device.compute_efficiency.items())
    mem = ", ".join(f"{k} {v:.3g}" for k, v in device.memory_efficiency.items())
    return f"compute {comp}; memory {mem}"


def _source(f) -> str:
    text = f"UNVERIFIED ({f.note})" if f.source == "unverified" else f"[{f.source}]"
    if f.source != "unverified" and f.unverified:
        text += " UNVERIFIED"
    if f.derived:
        text += f" derived: {f.derived}"
    if f.note and f.source != "unverified":
        text += f" — {f.note}"
    return text


def text(devices) -> str:
    out = []
    for d in devices:
        aliases = f"; aliases: {', '.join(d.aliases)}" if d.aliases else ""
        out.append(f"{d.name} — {d.title}  [{d.kind}, {d.execution} execution{aliases}]")
        out.append(f"  file: {d.path}")
        for f in d.figures:
            amount = _efficiency(d) if f.label == "efficiency" else _amount(f)
            sparsity = f" {f.sparsity}" if f.sparsity else ""
            out.append(f"  {f.label:<20} {amount}{sparsity}  {_source(f)}")
        out.append("  sources:")
        for key, s in d.sources.items():
            where = s.get("url", "")
            when = f"read {s['read']}" if "read" in s else f"measured {s.get('measured', '')}"
            doc = f"; original: {s['document']}" if s.get("document") else ""
            out.append(f"    [{key}] {s['title']}{doc} — {where} ({when})".replace(" —  (", " — ("))
        if d.notes:
            out.append(f"  notes: {d.notes}")
        out.append("")
    out.append(f"{len(devices)} device profile{'s' if len(devices) != 1 else ''}. Peaks are dense; UNVERIFIED "
               "marks a figure no stored source states (an assumption or a derivation, said beside it).")
    # a profile's names, titles and notes are the user's text: each line one visible line
    return "\n".join(visible(line.rstrip()) for line in out) + "\n"


def as_json(devices) -> str:
    return json.dumps({"version": 1, "devices": [d.as_dict() for d in devices]}, indent=2) + "\n"
