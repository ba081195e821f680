"""The command line: parses arguments and wires them to the pipeline and the reporters, nothing else.

`main()` answers `--version` and `schema` before importing typer, so the hook's cheapest calls
stay at bare-interpreter speed; every other command goes through the typer app.
"""

from __future__ import annotations

import sys

from . import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


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
    try:
        app = build_app()
        app(args=args, prog_name="netspec", standalone_mode=True)
    except SystemExit:
        raise
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
