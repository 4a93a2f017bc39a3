"""kabar: search and cited answers over news articles, cross-lingual, offline by default."""

from __future__ import annotations

import os

# Offline by default: no hub retries, no price-list fetch, no telemetry. Set a variable yourself
# (for example HF_HUB_OFFLINE=0 to let sentence-transformers download a hub model) to override.
# The libraries read these when they are imported, which kabar does lazily, after this.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
}
for _name, _value in OFFLINE_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)

from rag.answer import Answer, Answerer, Sources
from rag.calibration import Calibration
from rag.citations import Citation
from rag.config import Settings
from rag.engine import RAG, ArticleInfo
from rag.errors import (
    DocumentError,
    EmbedderError,
    FetchError,
    IndexMismatchError,
    InputError,
    KabarError,
    LLMError,
    SettingsError,
)
from rag.ingest import IngestReport
from rag.search import Filters, Hit, Source
from rag.timeline import Event, Timeline

__all__ = [
    "OFFLINE_ENVIRONMENT",
    "RAG",
    "Answer",
    "Answerer",
    "Calibration",
    "Citation",
    "ArticleInfo",
    "DocumentError",
    "EmbedderError",
    "Event",
    "FetchError",
    "Filters",
    "Hit",
    "IndexMismatchError",
    "IngestReport",
    "InputError",
    "KabarError",
    "LLMError",
    "Settings",
    "SettingsError",
    "Source",
    "Sources",
    "Timeline",
]
