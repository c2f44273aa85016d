"""UTF-8 checks and one-line messages."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hollow.io.text import clip, decode_utf8, one_line, utf8_problem


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_wide_encodings_are_named_not_reported_as_codec_errors(codec: str) -> None:
    data = 'name = "x"\n'.encode(codec)
    problem = utf8_problem(data)
    assert problem is not None and problem.startswith("not UTF-8 text") and "save it as UTF-8" in problem
    assert "codec" not in problem


def test_latin1_byte_is_located_and_a_bom_is_dropped() -> None:
    assert utf8_problem("café".encode("latin-1")) == (
        "not UTF-8 text: byte 0xe9 at offset 3 is not valid UTF-8 (save it as UTF-8)"
    )
    assert decode_utf8(codecs.BOM_UTF8 + b"a = 1\n") == "a = 1\n"
    with pytest.raises(ValueError, match="not UTF-8 text"):
        decode_utf8(b"\xff\xfea\x00")


def test_a_head_may_end_inside_a_character_a_whole_file_may_not() -> None:
    head = "é".encode()[:1]
    assert utf8_problem(b"abc" + head, complete=False) is None
    assert utf8_problem(b"abc" + head) is not None


@given(st.text(), st.integers(min_value=3, max_value=50))
def test_one_line_is_one_printable_line_of_bounded_length(text: str, limit: int) -> None:
    line = one_line(text, limit)
    assert len(line) <= max(limit, 3)
    assert "\n" not in line and "\r" not in line and "\x00" not in line
    line.encode("utf-8")  # raises for a lone surrogate (an undecodable argv byte): one_line escapes them
    if text.isprintable() and len(text) <= limit:
        assert line == text


def test_clip_marks_the_cut_and_keeps_whole_characters() -> None:
    assert clip("ééééé", 4) == "é..."
    assert clip("short", 10) == "short"
    assert one_line("a\nb\x00c") == "a\\nb\\x00c"
