"""The `python -m keras_aug` commands: `preview` (grids of your pipeline on your images)
and `scan` (a class-per-folder tree checked the way the loader checks it)."""


class CliError(Exception):
    """A user error the command reports as one line on stderr, with exit status 2."""
