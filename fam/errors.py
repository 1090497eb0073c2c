"""Errors that fam reports to users as one line, without a traceback."""

# str.splitlines() breaks a line at each of these; an error message must not
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


class InputError(ValueError):
    """Bad input: a file, row or key that is not what fam expects.

    The message is one line naming the file, the row or key path, and what was expected.
    Line breaks that come from the input itself (a key or cell holding a newline) are
    written escaped, e.g. `\\n`, so the message stays on one line whatever the input.
    """

    def __init__(self, message: str) -> None:
        for ch in _LINE_BREAKS:
            if ch in message:
                message = message.replace(ch, ch.encode("unicode_escape").decode("ascii"))
        super().__init__(message)
