"""The command line: parses arguments and wires them to the pipeline and the reporters, nothing else.

`main()` answers `--version` and `schema` before importing typer, so the hook's cheapest calls
stay at bare-interpreter speed; every other command goes through the typer app. Whatever happens,
the user sees diagnostics or one line on stderr and an exact exit status, never a traceback: a
stdout that is closed, full (/dev/full) or a broken pipe is `netspec: error: ...`, exit 2.
"""

from __future__ import annotations

import sys

from . import __version__
from .checking import EXIT_OK, EXIT_USAGE, UsageError


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    from .outfile import guard_stdout

    guard_stdout()
    try:
        code = _run(args)
    except SystemExit as exc:
        code = exc.code
    _flush_stdout()
    raise SystemExit(code)


def _run(args: list[str]) -> int:
    debug = "--debug" in args
    try:
        if args == ["--version"]:
            print(f"netspec {__version__}")
            return EXIT_OK
        if args == ["schema"]:
            from .resources import schema_text

            sys.stdout.write(schema_text())
            return EXIT_OK
        _tolerant_stdout()
        if args[:1] == ["check"]:  # the hook's call: skip typer's per-parameter pydantic set-up
            from .fastcli import try_check

            code = try_check(args[1:])
            if code is not None:
                return code
        if args[:1] == ["sweep"]:  # the same for a sweep, whose set-up -j cannot spread
            from .fastcli import try_sweep

            code = try_sweep(args[1:])
            if code is not None:
                return code
        app = build_app()
        app(args=args, prog_name="netspec", standalone_mode=True)
    except SystemExit:
        raise
    except UsageError as exc:  # already printed where it was found
        return exc.code
    except KeyboardInterrupt:
        print("netspec: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, exit 2, never a traceback
        from .outfile import is_output_failure, stdout_failed

        if is_output_failure(exc):
            return stdout_failed(exc).code
        if debug:
            raise
        from .report.escape import visible

        print(f"netspec: internal error [NS000]: {type(exc).__name__}: {visible(str(exc))} — please report this "
              "with the spec that caused it (rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _flush_stdout() -> None:
    """Flush now, so that a full or closed stdout is one line and exit 2, not an interpreter
    message at exit (and a status of 0 or 120)."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        from .outfile import stdout_failed

        raise SystemExit(stdout_failed(exc).code) from None
    except (AttributeError, ValueError):  # a replaced stream without flush, or one already closed
        pass


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
