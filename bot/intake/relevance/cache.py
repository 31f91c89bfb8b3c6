"""The relevance model a poll scores with, rebuilt only when what it learns from changed."""

from __future__ import annotations

import threading

from bot.catalogue.service import CatalogueService
from bot.intake.relevance import RelevanceModel, labels_from
from bot.intake.relevance.scorer import Scorer
from bot.store.curation import CurationStore


class RelevanceCache:
    """Rebuilds the relevance model only when the catalogue or the maintainers' decisions (the lessons not
    forgotten) changed; the shipped scorer is read from its file once."""

    def __init__(self, catalogue: CatalogueService, curation_store: CurationStore, threshold: float):
        self._catalogue = catalogue
        self._store = curation_store
        self._threshold = threshold
        self._key: tuple[int, tuple[tuple[int, str, str | None, int], ...]] | None = None
        self._model: RelevanceModel | None = None
        self._scorer: Scorer | None = None
        self._lock = threading.Lock()  # feeds are processed in threads at once: one builds, the others wait

    def model(self) -> RelevanceModel:
        with self._lock:
            catalogue = self._catalogue.index.catalogue
            lessons = self._store.lessons(forgotten=False)
            # The text too: a decided linkpost takes its arXiv paper's title and abstract when that arrives. As a
            # hash: the key outlives the poll, and thousands of decisions' abstracts would be megabytes held.
            key = (id(catalogue), tuple((lesson.paper_id, lesson.decision, lesson.topic,
                                         hash((lesson.title, lesson.abstract))) for lesson in lessons))
            if self._model is None or key != self._key:
                if self._scorer is None:
                    self._scorer = Scorer.load()
                self._model = RelevanceModel.build(catalogue, labels_from(lessons), threshold=self._threshold,
                                                   scorer=self._scorer)
                self._key = key
            return self._model
