"""Errors a user can act on; each message names the file, setting or command involved."""

from __future__ import annotations


class KabarError(Exception):
    """Base class of every error kabar raises on purpose."""


class SettingsError(KabarError):
    """A setting has a value kabar cannot use."""


class DocumentError(KabarError):
    """A file cannot be ingested (empty, binary, too large, unreadable, undecodable)."""


class FetchError(DocumentError):
    """A URL cannot be fetched (refused address, timeout, HTTP error, too large, wrong type)."""


class IndexMismatchError(KabarError):
    """The index was built with another embedding model than the one configured."""


class EmbedderError(KabarError):
    """The embedding model cannot be loaded."""


class LLMError(KabarError):
    """The language model failed after retries and fallback."""


class InputError(KabarError):
    """A question or request is malformed (empty, too long, wrong type)."""


class StoreError(KabarError):
    """The vector store cannot be opened or used (unreadable, read-only or corrupt files)."""
