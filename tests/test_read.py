"""Decoding: real text in any common encoding is read; what is not text gets a clear error."""

from __future__ import annotations

import codecs

import pytest

from rag.errors import DocumentError
from rag.read import decode

ARTICLE = "Pemimpin Korea Utara Kim Jong Un tiba di Vladivostok — “kunjungan” café."


@pytest.mark.parametrize(
    "data",
    [
        ARTICLE.encode("utf-8"),
        codecs.BOM_UTF8 + ARTICLE.encode("utf-8"),
        ARTICLE.encode("utf-16"),  # with its BOM
        ARTICLE.encode("utf-32"),
        ARTICLE.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "utf-32-bom", "windows-1252"],
)
def test_text_in_common_encodings_decodes_to_the_same_article(data: bytes) -> None:
    assert decode(data, "a.txt") == ARTICLE


def test_latin1_only_bytes_still_decode() -> None:
    assert decode("Señor Café".encode("latin-1"), "a.txt") == "Señor Café"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "is empty"),
        (b"  \n\t \r\n ", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (bytes([7, 8, 1, 2, 3, 4, 5, 6]) * 100, "binary"),
    ],
    ids=["empty", "whitespace", "png", "control-bytes"],
)
def test_unusable_content_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        decode(data, "bad.txt")
