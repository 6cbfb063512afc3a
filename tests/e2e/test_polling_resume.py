"""A poller that starts after another died: what the dead one had taken from Telegram but not
finished is processed at once and before anything newer of the same chat (an intake step is
not overtaken by the next one, nor left waiting for a claim to go stale)."""
import json

from sqlalchemy import update

from bot.app.services import running_services
from storage.models import InboundUpdate, utcnow
from tests.e2e.harness import OWNER, fake_world, running_bot
from tests.fakebot import builders as b


async def test_a_step_claimed_by_a_dead_poller_runs_first_on_restart(tmp_path, kb_dir):
    async with fake_world(tmp_path, kb_dir, "polling") as (fake, settings):
        async with running_bot(fake, settings, "polling"):
            pass  # the database exists
        # The dead process had received /new (Telegram will not send it again), stored and
        # claimed it, and died before its handlers ran; the category press is still queued.
        fake.user_command(OWNER, "/new")
        taken = fake.updates.pop()
        async with running_services(settings) as services:
            async with services.sessions.begin() as session:
                session.add(InboundUpdate(update_id=taken["update_id"], received_at=utcnow(),
                                          payload=json.dumps(taken, ensure_ascii=False)))
                await session.flush()
                await session.execute(update(InboundUpdate).values(claimed_at=utcnow()))
        chat = b.private_chat(OWNER)
        fake.callback(OWNER, b.text_message(chat, fake.bot_user, "…", 1), "cat:financing")

        async with running_bot(fake, settings, "polling"):
            # Well within the 30 s after which a claim counts as abandoned.
            await fake.wait_for(lambda: any("第 2 步" in (m.get("text") or "")
                                            for m in fake.sent(OWNER["id"])), timeout=10)
