"""Question -> ranked passages: hybrid, news-aware search, and its LangChain edge.

Owns: the search itself (search.py: candidates from the vector and keyword stores, the
best-sentence ranking, news-aware order, context widening), list-level steps (fusion.py:
reciprocal rank fusion, one passage per article and story), what the keyword searches
look for (queries.py) and the LangChain `BaseRetriever` over the same search
(langchain.py). Not here: storing anything (index/) or answering (answer/).
"""

from .langchain import NewsRetriever
from .search import RankingPolicy, Retriever, SearchResult

__all__ = ["NewsRetriever", "RankingPolicy", "Retriever", "SearchResult"]
