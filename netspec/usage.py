"""Exit statuses and usage errors: what every command reports when its command line (or a file it
names) cannot be used. A usage error is printed where it is found, as one escaped line on stderr,
and raised as UsageError, which the CLI turns into exit status 2."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad command line (or an unreadable file it names): already printed; the exit status is 2."""

    code = EXIT_USAGE


def usage_error(message: str) -> UsageError:
    from .report.escape import visible

    print(f"netspec: error: {visible(message)}", file=sys.stderr)
    return UsageError(message)


def usage_warning(message: str) -> None:
    from .report.escape import visible

    print(f"netspec: warning: {visible(message)}", file=sys.stderr)
