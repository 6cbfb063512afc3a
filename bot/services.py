"""Build every service from settings, once, with an explicit lifespan."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge.service import KnowledgeService
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.questions import QuestionLogRepository

from .assistant import Assistant
from .config import Settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    knowledge: KnowledgeService
    questions: QuestionLogRepository
    assistant: Assistant


def build_knowledge(settings: Settings) -> KnowledgeService:
    service = KnowledgeService(settings.knowledge_dir, settings.knowledge.semantic,
                               settings.knowledge.cache_dir)
    service.load()
    return service


@asynccontextmanager
async def running_services(settings: Settings, migrate: bool = True) -> AsyncIterator[Services]:
    engine = create_engine(settings.database.url, settings.database.echo)
    try:
        if migrate:
            await upgrade(engine)
        knowledge = build_knowledge(settings)
        questions = QuestionLogRepository(session_factory(engine))
        assistant = Assistant(knowledge, questions, settings.assistant.max_question_chars)
        log.info("knowledge base: %d entries, %s matcher", len(knowledge.kb.entries),
                 knowledge.matcher.mode)
        yield Services(settings, engine, knowledge, questions, assistant)
    finally:
        await engine.dispose()
