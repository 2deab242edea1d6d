"""A LangChain ``BaseRetriever`` over Dragoman's hybrid search (clearance included)."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.index import Filters
from retrieval.search import HybridSearch


class DragomanRetriever(BaseRetriever):
    """Drop-in retriever for LangChain apps; every search runs with ``clearance``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridSearch
    clearance: str = "public"
    k: int = 10
    filters: Filters = Filters()

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        results = self.search.search(
            query, clearance=self.clearance, k=self.k, filters=self.filters
        )
        return [
            LCDocument(
                page_content=r.text,
                metadata={k: v for k, v in r.to_dict().items() if k != "text"},
                id=r.chunk_id,
            )
            for r in results
        ]
