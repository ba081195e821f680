"""A team's defaults, set once: `[tool.netspec]` in pyproject.toml or a `.netspec.yaml`.

    [tool.netspec]                      # or, in .netspec.yaml, the same keys at the top
    budget-file = "team.yaml"           # relative to the file that says it
    ignore = ["NS402"]                  # warning codes, as --ignore
    strict = true                       # as --strict
    exclude = ["specs/drafts/", "*.tmp.yaml"]   # .gitignore-style, for directory scans
    device = "jetson-orin-nano-8gb"     # as --device (or device-file = "boards/ours.yaml")

The first directory from the working directory upwards that holds either file decides (a
`.netspec.yaml` before a pyproject.toml without a `[tool.netspec]` table); the search stops at
the repository root (a directory with `.git`). The command line wins: `--budget-file` replaces the
file's, `--ignore` adds to its codes, `--strict`/`--no-strict` replace its `strict`;
`--device`/`--device-file` replace the file's device; `--config FILE` names the file,
`--no-config` reads none.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

KEYS = ("budget-file", "ignore", "strict", "exclude", "device", "device-file")
FILENAMES = (".netspec.yaml", "pyproject.toml")
# Never specs: version control, virtualenvs, caches, and every hidden directory (.github holds
# workflow YAML). A directory with a pyvenv.cfg is a virtualenv whatever its name.
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})


class ConfigError(Exception):
    """A configuration file that cannot be used (exit 2)."""


@dataclass(frozen=True, slots=True)
class Config:
    path: str | None = None  # the file it came from
    root: str = "."  # its directory: budget-file and exclude patterns are relative to it
    budget_file: str | None = None
    ignore: tuple[str, ...] = ()
    strict: bool = False
    exclude: tuple[str, ...] = ()
    device: str | None = None  # a shipped profile's name, as --device
    device_file: str | None = None  # a profile of the team's, as --device-file


def find(start: str | None = None) -> str | None:
    """The configuration file that applies in `start` (default: the working directory), or None."""
    here = os.path.abspath(start or os.getcwd())
    while True:
        for name in FILENAMES:
            candidate = os.path.join(here, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
        parent = os.path.dirname(here)
        if parent == here or os.path.exists(os.path.join(here, ".git")):
            return None
        here = parent


def _has_tool_table(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return any(line.strip().replace(" ", "").startswith("[tool.netspec]") for line in fh)
    except OSError:
        return False


def load(path: str) -> Config:
    """Read and check one configuration file; raises ConfigError with `path: message`."""
    if os.path.basename(path) == "pyproject.toml" or path.endswith(".toml"):
        table = _toml_table(path)
    else:
        table = _yaml_table(path)
    for key in table:
        if key not in KEYS:
            import difflib

            hint = difflib.get_close_matches(str(key).replace("_", "-"), KEYS, n=1)
            raise ConfigError(f"{path}: unknown key `{key}`" + (f" (did you mean `{hint[0]}`?)" if hint
                                                                 else f"; known: {', '.join(KEYS)}"))
    root = os.path.dirname(os.path.abspath(path))
    budget_file = table.get("budget-file")
    if budget_file is not None and not isinstance(budget_file, str):
        raise ConfigError(f"{path}: `budget-file` must be a path")
    strict = table.get("strict", False)
    if not isinstance(strict, bool):
        raise ConfigError(f"{path}: `strict` must be true or false")
    device, device_file = table.get("device"), table.get("device-file")
    for key, value in (("device", device), ("device-file", device_file)):
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise ConfigError(f"{path}: `{key}` must be a {'name' if key == 'device' else 'path'}")
    if device is not None and device_file is not None:
        raise ConfigError(f"{path}: give `device` or `device-file`, not both")
    return Config(path=path, root=root, strict=strict, device=device,
                  device_file=os.path.join(root, device_file) if device_file else None,
                  budget_file=os.path.join(root, budget_file) if budget_file else None,
                  ignore=_strings(table, "ignore", path), exclude=_strings(table, "exclude", path))


def _strings(table: dict, key: str, path: str) -> tuple[str, ...]:
    value = table.get(key, ())
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: `{key}` must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _toml_table(path: str) -> dict:
    import tomllib

    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    table = doc.get("tool", {}).get("netspec", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.netspec] must be a table")
    return table


def _yaml_table(path: str) -> dict:
    from .loader import load_file

    loaded = load_file(path)
    if loaded.diagnostics:
        d = loaded.diagnostics[0]
        raise ConfigError(f"{path}:{d.line}:{d.column}: [{d.code}] {d.message}")
    if loaded.data is None:
        return {}
    if not isinstance(loaded.data, dict):
        raise ConfigError(f"{path}: a configuration file is a mapping of {', '.join(KEYS)}")
    return dict(loaded.data)


# --- directory scans -------------------------------------------------------------------------

def _pattern_regex(pattern: str) -> str:
    """One .gitignore glob as a regex over a /-separated relative path: `*` and `?` stay inside a
    path component, `**` crosses them, `[...]` is a character class."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Rule:
    regex: re.Pattern
    anchored: bool  # matches the path from the root; otherwise any trailing part of it
    dir_only: bool
    negate: bool


def compile_excludes(patterns) -> tuple[_Rule, ...]:
    rules = []
    for raw in patterns:
        p = raw.strip()
        if not p or p.startswith("#"):
            continue
        negate = p.startswith("!")
        p = p[1:] if negate else p
        dir_only = p.endswith("/")
        p = p.strip("/") if dir_only else p
        anchored = "/" in p
        p = p.lstrip("/")
        rules.append(_Rule(re.compile(_pattern_regex(p) + r"\Z"), anchored, dir_only, negate))
    return tuple(rules)


def excluded(rel: str, is_dir: bool, rules) -> bool:
    """Whether a path (relative to the config's root, `/`-separated) is excluded: the last pattern
    that matches decides, as in .gitignore."""
    verdict = False
    parts = rel.split("/")
    for rule in rules:
        if rule.dir_only and not is_dir:
            continue
        hit = rule.regex.match(rel) if rule.anchored else any(
            rule.regex.match("/".join(parts[k:])) for k in range(len(parts)))
        if hit:
            verdict = not rule.negate
    return verdict


def scan(directory: str, config: Config, onerror=None) -> list[str]:
    """Every *.yaml / *.yml below `directory`, sorted, skipping hidden and tool directories,
    virtualenvs, and what the config's `exclude` patterns name; `onerror(OSError)` hears of a
    directory that cannot be listed."""
    rules = compile_excludes(config.exclude)
    root = os.path.abspath(config.root)

    def rel(path: str) -> str:
        r = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        return r if not r.startswith("../") else os.path.basename(path)

    found = []
    for here, dirs, files in os.walk(directory, onerror=onerror):
        dirs[:] = [d for d in dirs if not (
            d.startswith(".") or d in SKIPPED_DIRS or os.path.isfile(os.path.join(here, d, "pyvenv.cfg"))
            or (rules and excluded(rel(os.path.join(here, d)), True, rules)))]
        for f in files:
            if f.endswith((".yaml", ".yml")) and not f.startswith("."):
                path = os.path.normpath(os.path.join(here, f))
                if not (rules and excluded(rel(path), False, rules)):
                    found.append(path)
    return sorted(found)
