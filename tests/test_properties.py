"""Property tests: cleaning, chunking, decoding and citation parsing hold for any input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.chunk import chunk
from rag.citations import parse_citations
from rag.clean import clean
from rag.errors import DocumentError
from rag.read import decode

# Text with the characters that matter to the cleaner: newlines, punctuation, quotes, digits.
ARTICLE_ALPHABET = st.sampled_from(list("abc XYZ .,!?\n\n\t“”\"'()[]-–0123456789/éü中\u00a0\r"))
texts = st.one_of(st.text(), st.text(alphabet=ARTICLE_ALPHABET, max_size=3000))
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(texts)
def test_clean_never_fails_and_keeps_exact_slices(text: str) -> None:
    doc = clean(text, "a.txt")
    previous_end = -1
    for start, end in doc.paragraphs:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip() != ""
        previous_end = end


@fast
@given(texts, st.integers(min_value=20, max_value=800))
def test_chunks_cover_the_kept_text_and_map_back(text: str, max_chars: int) -> None:
    doc = clean(text, "a.txt")
    chunks = chunk(doc, max_chars)
    covered = set()
    for c in chunks:
        assert len(c.text) <= max_chars
        assert c.text == "\n".join(text[s:e] for s, e in c.spans)
        for s, e in c.spans:
            assert any(ps <= s and e <= pe for ps, pe in doc.paragraphs)
            covered.update(range(s, e))
    for start, end in doc.paragraphs:
        assert all(i in covered for i in range(start, end) if not text[i].isspace())
    assert len({c.chunk_id for c in chunks}) == len(chunks)


@fast
@given(st.binary(max_size=2000))
def test_decode_returns_text_or_a_clear_document_error(data: bytes) -> None:
    try:
        text = decode(data, "a.txt")
    except DocumentError as exc:
        assert "a.txt" in str(exc)
    else:
        assert text.strip() and "\x00" not in text


@fast
@given(
    st.text(alphabet=st.sampled_from(list("ab [],;.0123456789\n")), max_size=200),
    st.integers(min_value=0, max_value=8),
)
def test_parsed_citations_only_point_at_real_passages(raw: str, passages: int) -> None:
    text, cited, invalid = parse_citations(raw, passages)
    assert all(1 <= n <= passages for n in cited)
    assert not set(cited) & set(invalid)
