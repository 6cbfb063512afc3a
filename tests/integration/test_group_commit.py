"""Group commit (storage/batching.py) on the hot paths: admitting updates, finding contacts,
logging questions and creating tickets. Concurrent requests share transactions, and each
still gets its own result."""
import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from bot.requests.contacts import Identity
from bot.requests.admission import Gate
from bot.requests.tickets import Content
from bot.app.services import running_services
from storage.inbound import InboundStore
from storage.models import (
    Contact, InboundUpdate, OutboxMessage, QuestionLog, Ticket, TicketEvent, TicketMessage, utcnow)

QUESTIONS = [
    "试用期最长可以约定多久", "明天会不会下雨呢", "客户欠款三年了还能要吗", "商标被抢注了怎么办"]


def count_commits(services) -> list[int]:
    commits = [0]
    event.listen(services.engine.sync_engine, "commit", lambda _conn: commits.__setitem__(
        0, commits[0] + 1))
    return commits


async def test_concurrent_questions_share_transactions_and_keep_their_own_ids(settings):
    async with running_services(settings) as services:
        commits = count_commits(services)
        hooked: dict[str, int] = {}

        async def ask(i: int):
            text = f"{QUESTIONS[i % len(QUESTIONS)]} {i}"

            def then(session, question_id, reply) -> None:
                hooked[text] = question_id
                session.add(OutboxMessage(chat_id=str(i), purpose="answer", payload=text))

            return text, await services.assistant.ask(text, channel="telegram",
                                                      user_ref=str(i), lang="zh-CN", then=then)

        asked = await asyncio.gather(*(ask(i) for i in range(40)))
        assert commits[0] < 40 / 4  # batched: at most a few transactions for 40 questions
        async with services.sessions() as session:
            texts = dict((await session.execute(select(QuestionLog.id, QuestionLog.text))).all())
            outbox = dict((await session.execute(
                select(OutboxMessage.chat_id, OutboxMessage.payload))).all())
    assert len(texts) == 40
    for text, reply in asked:  # each caller got the id of its own question, hook included
        assert texts[reply.question_id] == text
        assert hooked[text] == reply.question_id
    assert sorted(outbox.values()) == sorted(texts.values())


async def test_a_failing_request_fails_alone_and_leaves_nothing(settings):
    async with running_services(settings) as services:
        def then(fail: bool):
            def hook(session, question_id, reply) -> None:
                session.add(OutboxMessage(chat_id="1", purpose="answer", payload=str(question_id)))
                if fail:
                    raise ValueError("broken reply")
            return hook

        results = await asyncio.gather(*(
            services.assistant.ask(f"{QUESTIONS[0]} {i}", channel="telegram", user_ref=str(i),
                                   lang="zh-CN", then=then(i == 3))
            for i in range(8)), return_exceptions=True)
        async with services.sessions() as session:
            logged = set(await session.scalars(select(QuestionLog.text)))
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert isinstance(results[3], ValueError)
    assert all(not isinstance(r, Exception) for i, r in enumerate(results) if i != 3)
    assert logged == {f"{QUESTIONS[0]} {i}" for i in range(8) if i != 3}
    assert queued == 7


async def test_admission_claims_each_update_once_and_creates_each_contact_once(settings):
    async with running_services(settings) as services:
        store, gate = InboundStore(services.sessions), Gate(services.sessions)
        await store.record_many([(uid, "{}") for uid in range(1, 21)])
        async with services.sessions.begin() as session:  # a known contact, marked unreachable
            session.add(Contact(channel="telegram", external_id="0", chat_id="0",
                                display_name="旧名", unreachable_at=utcnow()))
        stale_before = utcnow() - timedelta(seconds=60)
        commits = count_commits(services)
        # updates 1..20 from users 0..4, update 7 delivered three times, 21..22 never stored
        arrivals = [(uid, Identity("telegram", str(uid % 5), str(uid % 5), f"用户{uid % 5}"))
                    for uid in [*range(1, 23), 7, 7]]
        admissions = await asyncio.gather(*(gate.admit(uid, who, stale_before)
                                            for uid, who in arrivals))
        assert commits[0] < len(arrivals) / 4
        fresh = [uid for (uid, _), a in zip(arrivals, admissions) if a.fresh]
        assert sorted(fresh) == list(range(1, 23))  # each once, the unseen ones included
        for (uid, who), admission in zip(arrivals, admissions):
            if admission.fresh:
                assert admission.contact.external_id == who.external_id
            else:
                assert admission.contact is None
        again = await gate.admit(3, None, stale_before)  # claimed and not stale: not again
        assert not again.fresh
        async with services.sessions() as session:
            contacts = list(await session.scalars(select(Contact).order_by(Contact.external_id)))
            claimed = await session.scalar(select(func.count()).select_from(InboundUpdate).where(
                InboundUpdate.claimed_at.is_not(None)))
    assert [c.external_id for c in contacts] == ["0", "1", "2", "3", "4"]
    assert claimed == 22
    known = contacts[0]  # existed before: renamed and reachable again, not created twice
    assert (known.display_name, known.unreachable_at) == ("用户0", None)


@pytest.mark.parametrize("cancelled", [0, 2])
async def test_a_cancelled_caller_does_not_disturb_the_others(settings, cancelled):
    async with running_services(settings) as services:
        batches = services.questions._batches
        joined, release = [], asyncio.Event()
        run, handle = batches.run, batches.handle

        async def joining(request):  # counts the callers that have joined
            joined.append(request)
            return await run(request)

        async def held(session, requests):  # no batch is written before the cancellation
            await release.wait()
            return await handle(session, requests)

        batches.run, batches.handle = joining, held
        tasks = [asyncio.create_task(services.assistant.ask(
            f"{QUESTIONS[0]} {i}", channel="telegram", user_ref=str(i), lang="zh-CN"))
            for i in range(5)]
        async with asyncio.timeout(10):
            while len(joined) < 5:  # every caller waits on the group commit
                await asyncio.sleep(0.01)
        tasks[cancelled].cancel()
        release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[cancelled], asyncio.CancelledError)
    assert all(r.question_id for i, r in enumerate(results) if i != cancelled)


async def test_a_contact_created_meanwhile_is_read_not_created_twice(settings, monkeypatch):
    import bot.requests.contacts as contacts_module

    async with running_services(settings) as services:
        first = await services.contacts.ensure("telegram", "42", "42", "先来的")
        real_load, loads = contacts_module._load, []

        async def blind_first_look(session, keys):  # as if another transaction inserted it
            loads.append(keys)                       # between our lookup and our insert
            return {} if len(loads) == 1 else await real_load(session, keys)

        monkeypatch.setattr(contacts_module, "_load", blind_first_look)
        again = await services.contacts.ensure("telegram", "42", "42", "后到的")
        async with services.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Contact))
    assert (again.id, again.display_name, count, len(loads)) == (first.id, "后到的", 1, 2)


async def test_concurrent_contacts_share_transactions_and_each_is_created_once(settings):
    async with running_services(settings) as services:
        commits = count_commits(services)
        found = await asyncio.gather(*(services.contacts.ensure(
            "telegram", str(i % 10), str(i % 10), f"用户{i % 10}") for i in range(40)))
        async with services.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Contact))
    assert commits[0] < 40 / 4
    assert count == 10
    assert [c.external_id for c in found] == [str(i % 10) for i in range(40)]
    assert len({c.id for c in found}) == 10


async def test_concurrent_tickets_share_transactions_and_each_has_its_own_trail(settings):
    async with running_services(settings) as services:
        people = [await services.contacts.ensure("telegram", str(100 + i), str(100 + i),
                                                 f"企业{i}") for i in range(4)]
        commits = count_commits(services)
        photo = Content(kind="photo", file_id="F1", chat_id="100", message_id=9)

        def create(i: int):
            contact = people[i % 4]
            return services.tickets.create(
                contact.id, "financing", f"需求{i}", attachments=[photo] if i == 5 else [],
                origin="human" if i == 6 else "intake")

        tickets = await asyncio.gather(*(create(i) for i in range(24)))
        assert commits[0] < 24 / 4
        async with services.sessions() as session:
            stored = {t.id: t for t in await session.scalars(select(Ticket))}
            events = list(await session.execute(select(TicketEvent.ticket_id, TicketEvent.action,
                                                       TicketEvent.actor_id)))
            messages = list(await session.execute(select(TicketMessage.ticket_id,
                                                         TicketMessage.kind, TicketMessage.text)))
            outbox = list(await session.execute(select(OutboxMessage.ticket_id,
                                                       OutboxMessage.chat_id,
                                                       OutboxMessage.purpose)))
            human = await session.get(Contact, people[6 % 4].id)
    assert len(stored) == 24
    for i, ticket in enumerate(tickets):  # each caller got its own ticket, with its own trail
        contact = people[i % 4]
        assert (stored[ticket.id].description, stored[ticket.id].contact_id) == (
            f"需求{i}", contact.id)
        assert [(a, who) for t, a, who in events if t == ticket.id] == [
            ("created", contact.external_id)]
        assert sorted((k, x) for t, k, x in messages if t == ticket.id) == sorted(
            [("text", f"需求{i}")] + ([("photo", None)] if i == 5 else []))
        assert sorted((c, p) for t, c, p in outbox if t == ticket.id) == sorted(
            [(contact.chat_id, "notify"), ("staff", "card"), ("staff", "topic")]
            + ([("staff", "relay")] if i == 5 else []))
    assert human.human_ticket_id == tickets[6].id


async def test_a_failing_ticket_fails_alone(settings):
    async with running_services(settings) as services:
        contact = await services.contacts.ensure("telegram", "7", "7", "张老板")
        results = await asyncio.gather(*(
            services.tickets.create(contact.id if i != 2 else 987654, "financing", f"需求{i}")
            for i in range(6)), return_exceptions=True)
        async with services.sessions() as session:
            descriptions = set(await session.scalars(select(Ticket.description)))
    assert isinstance(results[2], Exception)
    assert descriptions == {f"需求{i}" for i in range(6) if i != 2}
