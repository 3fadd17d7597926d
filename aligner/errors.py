"""The one exception type the toolkit raises for problems a user can fix."""


class AlignerError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits non-zero."""
