"""Writing what netspec produces: never over an input, never half-written, never a traceback.

Reports, diffs and exports go to stdout or to `--output-file`. A file is written atomically (a
temporary file in the target's folder, flushed and synced, then renamed over the target), so a
crash or a full disk leaves the old file as it was. An output that is one of the run's inputs (the
same path after resolving links, or the same inode) is refused before anything is read or written.
A stdout that is closed, full or a broken pipe is one line on stderr and exit 2.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterable
from contextlib import contextmanager

STDOUT = "-"


def _usage_error(message: str):
    from .usage import usage_error

    return usage_error(message)


def _show(path: str) -> str:
    from .report.escape import visible

    return visible(path)


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: equal once links are resolved, or the same inode."""
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # a missing side (samefile needs both), a NUL in a path
        return False


def refuse_clash(output: str | None, inputs: Iterable[tuple[str, str]], flag: str = "--output-file") -> None:
    """A usage error when `output` is one of the `inputs` ((what, path) pairs): the report would
    replace the spec it reports on."""
    if output is None or output == STDOUT:
        return
    for what, path in inputs:
        if path is not None and same_file(output, path):
            raise _usage_error(f"{flag} {_show(output)} is the {what} {_show(path)}; refusing to write over it")


def write_output(text: str | Iterable[str], output_file: str | None) -> None:
    """The report to stdout (None or "-") or, atomically, to a file."""
    chunks = [text] if isinstance(text, str) else text
    if output_file is None or output_file == STDOUT:
        write_stdout(chunks)
    else:
        write_file(output_file, chunks)


class _ClosedStdout:
    """Stands in for sys.stdout when file descriptor 1 was closed before netspec started."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        raise OSError(9, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def guard_stdout() -> None:
    """Make a closed stdout fail loudly on the first write instead of swallowing the output."""
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()


def write_stdout(chunks: Iterable[str]) -> None:
    out = sys.stdout
    try:
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    except OSError as exc:
        raise stdout_failed(exc) from None


def stdout_failed(exc: OSError):
    """The usage error for a stdout that cannot be written (full, closed, a broken pipe); file
    descriptor 1 is pointed at /dev/null so that the interpreter's own flush at exit stays quiet."""
    try:
        fd = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, AttributeError, ValueError):  # no real file descriptor (closed, or a StringIO)
        pass
    return _usage_error(f"cannot write to standard output: {exc.strerror or exc}")


# What writing to a full, closed or vanished output raises.
_OUTPUT_ERRNOS = {errno.EPIPE, errno.ENOSPC, errno.EBADF, errno.EDQUOT, errno.EFBIG, errno.EIO}


def is_output_failure(exc: BaseException) -> bool:
    """An OSError of writing an output stream: netspec's own file operations catch theirs (and
    carry a file name), so what reaches the CLI's last line of defence with no name came from
    writing stdout (in print, typer's help, the interpreter's buffer)."""
    return isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS and exc.filename is None


def write_file(path: str, chunks: Iterable[str]) -> None:
    """Write `chunks` to `path` through a temporary file renamed over it (see `open_output`)."""
    with open_output(path) as fh:
        for chunk in chunks:
            fh.write(chunk)


@contextmanager
def open_output(path: str | None):
    """A text stream for a report written piece by piece (a sweep streams its rows): standard
    output (None or "-"), or a temporary file in the target's folder, flushed, synced and renamed
    over `path` once the body is done, so a failure leaves the old file as it was.

    A symlink is written through (its target is replaced, the link stays); a target that is not a
    regular file (/dev/null, a FIFO, /dev/stdout) cannot be replaced and is written directly. An
    OSError of writing is a usage error naming the file (exit 2), never a traceback.
    """
    if path is None or path == STDOUT:
        try:
            yield sys.stdout
            sys.stdout.flush()
        except OSError as exc:
            raise stdout_failed(exc) from None
        return
    try:
        target = os.path.realpath(path)
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory")
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(target, "w", encoding="utf-8", errors="backslashreplace") as fh:
                yield fh
            return
        with _replacing(target, None if st is None else stat.S_IMODE(st.st_mode)) as fh:
            yield fh
    except OSError as exc:
        raise _usage_error(f"cannot write {_show(path)}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the path
        raise _usage_error(f"cannot write {_show(path)}: {exc}") from None


@contextmanager
def _replacing(target: str, mode: int | None):
    folder, base = os.path.split(target)
    fd, temp = _create_temp(folder or ".", base)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _create_temp(folder: str, base: str) -> tuple[int, str]:
    """A new file next to the target, created with mode 0666 less the umask (like open(..., "w"))."""
    import secrets

    for _ in range(100):
        temp = os.path.join(folder, f".{base[:200]}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(17, "could not create a temporary file")
