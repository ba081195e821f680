"""One escaping function per output format, for every piece of user text a report prints.

User text is anything a spec, a file name or a command line chose: paths, names, keys, quoted
values and the messages that quote them. Each format has its own dangers: a newline or an escape
sequence forges lines and workflow commands in a terminal or CI log; a backtick, `<`, `[` or `@`
turns into HTML, links and mentions in a PR comment; a leading `=` is a formula in a spreadsheet;
a file name that is not UTF-8 (a lone surrogate in Python) crashes any encoder.

    text, stderr, CI logs   visible(s); line_start(path) where a line begins with it
    GitHub commands         github_message(s), github_property(s)
    markdown                md_code(s) for any user text, md_cell(cell) for a table cell
    CSV                     csv_cell(value)
    JSON, SARIF             json_text(s) (json.dumps escapes the rest); sarif uri: uri_path(path)
    HTML                    report/html.py: escape(s), and script_json(data) for the embedded data
    Mermaid                 report/mermaid.py: text(s) for a quoted label, comment(s) for a %% line
"""

from __future__ import annotations

# Lone surrogates U+DC80..U+DCFF are the bytes of a file name that is not UTF-8 (surrogateescape).
_BYTE_ESCAPES = range(0xDC80, 0xDD00)


def _escape_char(c: str) -> str:
    o = ord(c)
    if o in _BYTE_ESCAPES:
        return f"\\x{o - 0xDC00:02x}"
    return repr(c)[1:-1]


def visible(text: str, keep_newlines: bool = False) -> str:
    """One line of printable text: control characters, separators, bidi overrides and lone
    surrogates are shown as escapes (`\\n`, `\\x1b`, `\\u202e`, `\\xff` for an undecodable byte),
    so a spec's text can neither forge a line nor send a terminal escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or (keep_newlines and c in "\r\n") else _escape_char(c) for c in text)


def line_start(path: str) -> str:
    """A path that begins a line: visible, and never starting like a CI workflow command
    (`::error ...`), which a runner acts on when a line starts with it; `./` keeps it the same path."""
    shown = visible(path)
    if shown.lstrip().startswith("::"):
        return "./" + shown
    return shown


# --- GitHub Actions workflow commands ------------------------------------------------------------


def github_message(text: str) -> str:
    """The message of a workflow command: % CR LF escaped as the toolkit's `escapeData` does
    (GitHub shows the line breaks), other control characters as visible escapes."""
    return visible(text, keep_newlines=True).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A property value (file=, title=): also `:` and `,` escaped, as the toolkit's `escapeProperty`."""
    return github_message(text).replace(":", "%3A").replace(",", "%2C")


# --- Markdown (GitHub-flavoured: PR comments, step summaries) -------------------------------------


def md_code(text) -> str:
    """User text as an inline code span, which GitHub renders literally: no HTML, links, images,
    emphasis or @mentions. The fence is longer than any run of backticks inside (CommonMark), and
    padded with a space when the text starts or ends with a backtick or a space."""
    s = visible(str(text))
    if not s:
        return "` `"
    if "`" not in s:  # the common case (every cell of a layer table): a one-backtick fence
        return f"` {s} `" if s[0] == " " or s[-1] == " " else f"`{s}`"
    import re

    fence = "`" * (max(map(len, re.findall("`+", s))) + 1)
    pad = " " if s[0] in "` " or s[-1] in "` " else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def md_cell(cell) -> str:
    """A table cell: a `|` ends a cell even inside a code span, so every `|` gets an odd number of
    backslashes before it (GitHub's table parser pairs backslashes from the left, then turns the
    last `\\|` into `|`); a run of backslashes before a pipe is shown doubled, never unescaped."""
    s = str(cell)
    if "|" not in s:
        return s
    out = []
    run = 0
    for c in s:
        if c == "\\":
            run += 1
            continue
        if c == "|":
            out.append("\\" * (2 * run + 1) + "|")
        else:
            out.append("\\" * run + c)
        run = 0
    out.append("\\" * run)
    return "".join(out)


# --- CSV ----------------------------------------------------------------------------------------

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A text cell that a spreadsheet would read as a formula (OWASP: it starts with = + - @, a tab
    or a carriage return) gets a leading `'`; numbers stay numbers; undecodable bytes are escaped."""
    if not isinstance(value, str):
        return value
    if not value.isprintable():
        value = visible(value)
    return "'" + value if value.startswith(_FORMULA) else value


# --- JSON and SARIF -------------------------------------------------------------------------------


def json_text(text: str) -> str:
    """A string for a JSON document: valid Unicode (an undecodable byte of a file name as `\\xff`)."""
    if text.isprintable() or not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return "".join(_escape_char(c) if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def uri_path(path: str) -> str:
    """A relative path as a URI reference (SARIF's artifactLocation.uri): each byte that is not
    unreserved, percent-encoded, so spaces, `#`, `?` and undecodable bytes survive."""
    import os
    from urllib.parse import quote

    return quote(os.fsencode(path), safe="/")
