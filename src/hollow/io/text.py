"""Text at the edges: files must be UTF-8, and every message a user sees stays on one line.

A file saved as UTF-16 (Windows Notepad, PowerShell's `>`) is reported as "not UTF-8 text" with the
fix, not as a codec error; a message never ends inside a multi-byte character.
"""

from __future__ import annotations

import codecs

__all__ = ["clip", "decode_utf8", "one_line", "utf8_problem"]

_UTF8_BOM = codecs.BOM_UTF8
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
MESSAGE_LIMIT = 2000  # characters of one error line: a guard against a megabyte value, not a style rule


def utf8_problem(data: bytes, *, complete: bool = True) -> str | None:
    """Why `data` is not UTF-8 text, or None; `complete=False` accepts a character cut at the end (a file's head)."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return f"not UTF-8 text: it is {name} (save it as UTF-8)"
    if b"\x00" in data[:4096]:
        return "not UTF-8 text: it has NUL bytes, so it is UTF-16 or binary (save it as UTF-8 text)"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(data, final=complete)
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8 (save it as UTF-8)"
    return None


def decode_utf8(data: bytes) -> str:
    """The text of a UTF-8 file (a leading byte-order mark is dropped); ValueError with the fix otherwise."""
    problem = utf8_problem(data)
    if problem:
        raise ValueError(problem)
    return data.removeprefix(_UTF8_BOM).decode("utf-8")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters (whole characters: a str never splits one), '...' marking a cut."""
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Control characters (newlines, NUL, escapes) shown as escapes, then clipped: a message is one line."""
    if text.isprintable():
        return clip(text, limit)
    shown = "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)
    return clip(shown, limit)
