"""The command line: parses arguments and wires them to the pipeline and the reporters, nothing else.

`main()` answers `--version` and `schema` before importing typer, so the hook's cheapest calls
stay at bare-interpreter speed; every other command goes through the typer app.
"""

from __future__ import annotations

import sys

from . import __version__
from .checking import UsageError

from .checking import EXIT_OK, EXIT_USAGE


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        print(f"netspec {__version__}")
        raise SystemExit(EXIT_OK)
    if args == ["schema"]:
        from .resources import schema_text

        sys.stdout.write(schema_text())
        raise SystemExit(EXIT_OK)
    debug = "--debug" in args
    _tolerant_stdout()
    try:
        if args[:1] == ["check"]:  # the hook's call: skip typer's per-parameter pydantic set-up
            from .fastcli import try_check

            code = try_check(args[1:])
            if code is not None:
                raise SystemExit(code)
        app = build_app()
        app(args=args, prog_name="netspec", standalone_mode=True)
    except SystemExit:
        raise
    except UsageError as exc:  # already printed where it was found
        raise SystemExit(exc.code) from None
    except KeyboardInterrupt:
        print("netspec: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as exc:  # the last line of defence: one line, exit 2, never a traceback
        if debug:
            raise
        print(f"netspec: internal error [NS000]: {type(exc).__name__}: {exc} — please report this with the "
              "spec that caused it (rerun with --debug for the traceback)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def build_app():
    from .commands import app

    return app


def _tolerant_stdout() -> None:
    """A spec's text (an emoji in a name) must not crash the report on a non-UTF-8 console
    (cp1252, PYTHONIOENCODING=ascii): unencodable characters print as \\u escapes instead."""
    stream = sys.stdout
    if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
        try:
            stream.reconfigure(errors="backslashreplace")
        except Exception:  # a replaced stream that cannot be reconfigured; nothing to protect
            pass
