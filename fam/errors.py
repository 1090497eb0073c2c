"""Errors that fam reports to users as one line, without a traceback."""


class InputError(ValueError):
    """Bad input: a file, row or key that is not what fam expects.

    The message is one line naming the file, the row or key path, and what was expected.
    """
