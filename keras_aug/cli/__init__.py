"""The `python -m keras_aug` commands: `preview` (grids of your pipeline on your images)
and `scan` (a class-per-folder tree checked the way the loader checks it)."""

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CliError(Exception):
    """A user error the command reports as one line on stderr, with exit status 2."""


def one_line(error):
    """The telling line of an exception's message, for a one-line report.

    Keras wraps errors raised inside `call` as "Exception encountered when calling
    X.call().", a blank line, then the real message in bold: that message is the line
    kept here (without terminal colour codes).
    """
    lines = [line.strip() for line in _ANSI.sub("", str(error)).splitlines()]
    lines = [line for line in lines if line and not line.startswith("Exception encountered when calling")]
    return f"{type(error).__name__}: {lines[0] if lines else 'no message'}"
