"""`netspec check` without typer's argument machinery, for the pre-commit hook's common call.

Running a typer (>= 0.17) command builds a pydantic TypeAdapter for every parameter, which costs
more than the whole check of a typical spec (pydantic alone imports in ~0.2 s). `check` is a
plain function under its `@app.command()` decorator, so for simple command lines we parse the
arguments ourselves, from the very declarations typer would use (the `Annotated[...,
typer.Option("--layers", "-l")]` metadata of `commands.check`), and call it directly: same
options, same defaults, same messages and exit codes, since `check` itself does all the work.

Anything this parser does not handle exactly - `--help`, an unknown option, a missing value, an
option value that is not a valid int, combined short flags, a parameter of a type it does not
know - makes `try_check` return None and the caller falls back to the typer app, which then
gives its usual answer (or error message). So this is only ever a shortcut, never a second CLI.
"""

from __future__ import annotations

import typing
from functools import lru_cache

_HELP = frozenset({"-h", "--help"})


class _Param:
    __slots__ = ("name", "kind", "default", "flag_value")

    def __init__(self, name: str, kind: str, default, flag_value=None) -> None:
        self.name, self.kind, self.default, self.flag_value = name, kind, default, flag_value


@lru_cache(maxsize=4)
def _table(func):
    """(option string -> _Param, the positional _Param, every _Param) read from the typer declarations
    of `func` with typer's own reader, or None when `func` declares something this parser does not
    handle (a callback, an env var, a prompt, a count, an unknown type, ...)."""
    from typer.models import ArgumentInfo, OptionInfo
    from typer.utils import get_params_from_function

    options: dict[str, _Param] = {}
    positional = None
    params = []
    for meta in get_params_from_function(func).values():
        info, hint = meta.default, meta.annotation
        if not isinstance(info, (OptionInfo, ArgumentInfo)):
            return None
        if info.callback is not None or info.is_eager or info.envvar is not None or info.parser is not None \
                or getattr(info, "prompt", None) or getattr(info, "count", False) or info.default_factory:
            return None
        kind = _kind(hint)
        if kind is None:
            return None
        if isinstance(info, ArgumentInfo):
            if positional is not None or kind != "list" or info.default is not ...:
                return None  # only the required `files` argument is handled
            positional = _Param(meta.name, kind, None)
            params.append(positional)
            continue
        if info.default is ...:
            return None  # a required option
        param = _Param(meta.name, kind, info.default)
        params.append(param)
        decls = list(info.param_decls or ())
        if not decls:  # typer's default name, as in typer.main._get_param
            flag = "--" + meta.name.replace("_", "-")
            decls = [f"{flag}/--no-{flag[2:]}"] if kind == "bool" else [flag]
        for decl in decls:
            for i, opt in enumerate(decl.split("/")):
                opt = opt.strip()
                if not opt.startswith("-") or opt in options or (opt[1] != "-" and len(opt) != 2):
                    return None
                if kind == "bool":
                    options[opt] = _Param(meta.name, "bool", info.default, flag_value=(i == 0))
                elif i > 0:
                    return None
                else:
                    options[opt] = param
    if positional is None:
        return None
    return options, positional, params


def _kind(hint) -> str | None:
    if hint is bool:
        return "bool"
    if hint is str:
        return "str"
    if hint is int:
        return "int"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and args == (str,):
        return "list"
    if origin is typing.Union and len(args) == 2 and type(None) in args:
        inner = args[0] if args[1] is type(None) else args[1]
        return {str: "str", int: "int"}.get(inner)
    return None


def _int(text: str) -> int | None:
    """Plain decimal digits only; anything fancier (1_000, 1e3, 5.0) is left to typer's conversion."""
    t = text.strip()
    body = t[1:] if t[:1] in "+-" else t
    return int(t) if body.isascii() and body.isdigit() else None


def parse(func, args: list[str]) -> dict | None:
    """The keyword arguments typer would pass to `func` for `args`, or None to let typer decide."""
    table = _table(func)
    if table is None:
        return None
    options, positional, params = table
    values: dict = {}
    files: list[str] = []
    i = 0
    n = len(args)
    while i < n:
        tok = args[i]
        i += 1
        if tok == "--":
            files.extend(args[i:])
            break
        if tok in _HELP:
            return None
        if not tok.startswith("-") or tok == "-":
            files.append(tok)
            continue
        name, eq, attached = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        param = options.get(name)
        if param is None:
            return None  # unknown option, combined short flags (-lq), -fjson, ...: typer's business
        if param.kind == "bool":
            if eq:
                return None
            values[param.name] = param.flag_value
            continue
        if eq:
            value = attached
        elif i < n:
            value = args[i]
            i += 1
        else:
            return None  # a missing value: typer says so
        if param.kind == "int":
            value = _int(value)
            if value is None:
                return None
        if param.kind == "list":
            values.setdefault(param.name, []).append(value)
        else:
            values[param.name] = value
    if not files:
        return None  # typer reports the missing argument
    out = {}
    for p in params:
        if p is positional:
            out[p.name] = files
        elif p.name in values:
            out[p.name] = values[p.name]
        else:
            out[p.name] = list(p.default) if isinstance(p.default, (list, tuple)) else p.default
    return out


def try_check(args: list[str]) -> int | None:
    """Run `netspec check ...` (args without the word `check`) and return its exit code, or None
    when typer has to handle this command line."""
    try:
        from . import commands
    except ImportError:
        return None
    try:
        kwargs = parse(commands.check, args)
    except Exception:  # an unexpected declaration: never worse than typer itself
        return None
    if kwargs is None:
        return None
    import gc

    import typer

    # The collector would only re-walk the check's (acyclic) objects: once per allocation burst
    # while checking, and in full once more while the report is written (~0.1 s per 10,000 layers).
    # Restored afterwards, when the results are freed, for callers of main() in a longer process.
    enabled = gc.isenabled()
    gc.disable()
    try:
        commands.check(**kwargs)
    except typer.Exit as exc:
        return exc.exit_code
    finally:
        if enabled:
            gc.enable()
    return 0
