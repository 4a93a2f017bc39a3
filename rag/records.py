"""News records: JSON Lines, JSON and CSV exports from a CMS or a news API, one article each.

A record's fields are found under common names (``title``/``headline``, ``text``/``body``/
``content``, ``date``/``published``, ``url``/``link``, ``outlet``/``source``/``site``...), and
any can be mapped to a column of your own (``--field text=story``). JSON Lines and CSV are read
one record at a time, so a dump of any length ingests in bounded memory; a ``.json`` file is
one array and is read whole. A bad line is reported by its number and never stops the rest.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from rag.errors import DocumentError, InputError
from rag.raw import Body, Content, Context, Failed, Item, RawArticle
from rag.read import markup_text

SUFFIXES = (".jsonl", ".json", ".csv")
FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "article", "article_text", "full_text", "story"),
    "title": ("title", "headline"),
    "date": ("date", "published", "published_at", "publishedat", "pubdate", "datetime"),
    "url": ("url", "link", "uri", "permalink"),
    "outlet": ("outlet", "source", "site", "site_name", "sitename", "publisher"),
    "author": ("author", "authors", "byline", "creator"),
    "language": ("language", "lang"),
    "id": ("id", "guid", "uuid", "article_id", "doc_id"),
}
"""Each field and the column names it is looked up under, case-insensitively, in order."""
_LISTS = ("articles", "items", "records", "data", "results", "entries")


def parse_fields(specs: list[str]) -> dict[str, str]:
    """``["text=body", "date=pub"]`` as a field mapping; InputError naming a bad item."""
    fields: dict[str, str] = {}
    for spec in specs:
        name, sep, column = spec.partition("=")
        name, column = name.strip().lower(), column.strip()
        if not sep or not column:
            raise InputError(f"--field {spec!r}: write FIELD=COLUMN, for example text=body")
        if name not in FIELDS:
            raise InputError(f"--field {spec!r}: unknown field {name!r}; fields are {_names()}")
        fields[name] = column
    return fields


def read_records(content: Content, name: str, origin: str, context: Context) -> Iterator[Item]:
    """The articles of a ``.jsonl``, ``.json`` or ``.csv`` file (a path, or uploaded bytes)."""
    columns = _columns(context.fields)
    try:
        with _open(content) as stream:
            suffix = Path(name).suffix.lower()
            rows = (
                _jsonl_rows(stream, name)
                if suffix == ".jsonl"
                else _csv_rows(stream, name, columns, context.settings.max_file_bytes)
                if suffix == ".csv"
                else _json_rows(stream, name)
            )
            for key, row in rows:
                yield row if isinstance(row, Failed) else _article(row, key, name, origin, context)
    except OSError as exc:
        yield Failed(name, f"{name}: cannot read: {exc.strerror or exc}")
    except DocumentError as exc:
        yield Failed(name, str(exc))


Row = tuple[str, "Mapping[str, Any] | Failed"]


def _jsonl_rows(stream: IO[bytes], name: str) -> Iterator[Row]:
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        key = f"{name}#{number}"
        try:
            value = json.loads(raw)
        except ValueError as exc:
            yield key, Failed(key, f"{name} line {number} is not JSON ({exc})")
            continue
        if not isinstance(value, dict):
            yield key, Failed(key, f"{name} line {number} is not a JSON object")
            continue
        yield key, value


def _json_rows(stream: IO[bytes], name: str) -> Iterator[Row]:
    try:
        value = json.load(stream)
    except ValueError as exc:
        raise DocumentError(f"{name} is not JSON ({exc})") from None
    if isinstance(value, dict):
        found = next((value[k] for k in _LISTS if isinstance(value.get(k), list)), None)
        value = found if found is not None else [value]
    if not isinstance(value, list):
        raise DocumentError(f"{name} holds no list of records")
    for number, item in enumerate(value, 1):
        key = f"{name}#{number}"
        if isinstance(item, dict):
            yield key, item
        else:
            yield key, Failed(key, f"{name} item {number} is not a JSON object")


def _csv_rows(
    stream: IO[bytes], name: str, columns: Mapping[str, tuple[str, ...]], max_bytes: int
) -> Iterator[Row]:
    # csv refuses fields over 128 KiB by default; an article body may be up to max_bytes.
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.DictReader(text)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not any(c in header for c in columns["text"]):
        raise DocumentError(
            f"{name} has no text column (columns: {', '.join(reader.fieldnames or []) or 'none'}); "
            f"name one with --field text=COLUMN"
        )
    try:
        for number, row in enumerate(reader, 2):  # row 1 is the header
            yield f"{name}#{number}", {k: v for k, v in row.items() if k is not None}
    except csv.Error as exc:
        raise DocumentError(f"{name} line {reader.line_num}: {exc}") from None


def _article(row: Mapping[str, Any], key: str, name: str, origin: str, context: Context) -> Item:
    """A record as a raw article: its URL names it when it has one, else ``file#id``."""
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    columns = _columns(context.fields)
    values = {f: _first(lowered, names) for f, names in columns.items()}
    text = values.pop("text")
    if not text.strip():
        return Failed(
            key,
            f"{key} has no text (looked for {', '.join(columns['text'])}; "
            "name the column with --field text=COLUMN)",
        )
    if len(text.encode("utf-8", "surrogatepass")) > context.settings.max_file_bytes:
        return Failed(key, f"{key}: the text is over KABAR_MAX_FILE_BYTES")
    record_id = values.pop("id")
    source = values["url"] or (f"{name}#{record_id}" if record_id else key)
    body = Body(markup_text(text))
    meta = {k: v for k, v in values.items() if v}
    return RawArticle(source, origin, lambda: body, meta)


def _first(row: Mapping[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = _as_text(row.get(name))
        if value:
            return value
    return ""


def _as_text(value: Any) -> str:
    """A field as text: ``{"name": ...}`` objects (a news API's source) and lists of them too."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, dict):
        return _as_text(value.get("name") or value.get("title") or "")
    if isinstance(value, list):
        return ", ".join(t for t in (_as_text(v) for v in value) if t)
    return str(value).strip()


def _columns(fields: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    return {f: (fields[f].lower(),) if f in fields else names for f, names in FIELDS.items()}


def _open(content: Content) -> IO[bytes]:
    return io.BytesIO(content) if isinstance(content, bytes) else content.open("rb")


def _names() -> str:
    return ", ".join(FIELDS)
