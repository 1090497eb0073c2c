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
        if len(message) > MESSAGE_LIMIT:  # a value echoed whole somewhere: keep the line short
            message = message[: MESSAGE_LIMIT - 1] + "…"
        for ch in _LINE_BREAKS:
            if ch in message:
                message = message.replace(ch, ch.encode("unicode_escape").decode("ascii"))
        super().__init__(message)


ECHO_LIMIT = 80  # characters of an input value an error line shows
MESSAGE_LIMIT = 1000  # characters of a whole error line (a backstop)


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """An input value as an error line shows it: quoted, and cut after `limit` characters
    with the full length said, so that a 10 MB field makes a short line."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return repr(value) if isinstance(value, str) else text
    shown = text[:limit]
    return f"{shown!r}… ({len(text):,} characters)" if isinstance(value, str) else f"{shown}…"


class OutputError(InputError):
    """A report that cannot be written (disk full, no permission, another run writing the
    same folder): one line and exit 2, like bad input, since the user can act on it."""
