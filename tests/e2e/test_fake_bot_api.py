"""Self-tests of the fake Bot API, driven by a real python-telegram-bot ``Bot`` over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from tests.fakebot import (
    FakeBotAPI,
    RateLimits,
    bad_gateway,
    blocked,
    builders,
    disconnect,
    flood,
    garbage,
    migrated,
    running_fake,
    server_error,
    slow,
)

# PTB warns on every RetryAfter while its int form is deprecated (unless PTB_TIMEDELTA is set).
pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after`:telegram.warnings.PTBDeprecationWarning")

ALICE = builders.user(1001, "Alice", username="alice")
STAFF = builders.user(2001, "Wang", username="wang_staff")
GROUP_ID = -1001234567890


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with running_fake() as api:
        api.add_user(ALICE)
        staff_group = builders.supergroup(GROUP_ID, "SME staff", is_forum=True)
        api.add_chat(staff_group, members={STAFF["id"]: "member"})
        yield api


def make_bot(fake: FakeBotAPI) -> Bot:
    return Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    async with make_bot(fake) as real_bot:
        yield real_bot


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


# ------------------------------------------------------------------ messages and validation


async def test_send_message_round_trip_and_recording(fake: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(ALICE["id"], "<b>你好</b> &lt;企业&gt; <a href=\"https://e.gov\">指南</a>",
                                  parse_mode=ParseMode.HTML)
    assert sent.text == "你好 <企业> 指南"
    assert [e.type for e in sent.entities] == ["bold", "text_link"]
    assert sent.text_html == "<b>你好</b> &lt;企业&gt; <a href=\"https://e.gov\">指南</a>"
    assert bot.username == "sme_assistant_bot"  # getMe ran on initialize
    call = await fake.wait_for_call("sendMessage", chat_id=ALICE["id"])
    assert call.params["parse_mode"] == "HTML" and call.ts > 0
    assert [m["text"] for m in fake.sent(chat_id=ALICE["id"])] == ["你好 <企业> 指南"]
    assert [c.method for c in fake.calls] == ["getMe", "sendMessage"]
    code = await bot.send_message(ALICE["id"], 'R&D <pre><code class="language-python">x = 1</code></pre>',
                                  parse_mode=ParseMode.HTML)
    assert code.text == "R&D x = 1" and [(e.type, e.language) for e in code.entities] == [("pre", "python")]


@pytest.mark.parametrize(
    "text", ["1 < 2", "<foo>x</foo>", "<b>open", "<b><i>x</b></i>", '<span class="x">s</span>', "<!-- x -->"]
)
async def test_invalid_html_is_a_bad_request(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(ALICE["id"], text, parse_mode=ParseMode.HTML)


async def test_text_limits_count_after_entity_parsing(fake: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(ALICE["id"], f"<b>{'字' * 4096}</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ALICE["id"], "a" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ALICE["id"], "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hi")


async def test_callback_data_is_limited_to_64_bytes(fake: FakeBotAPI, bot: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("认领", callback_data="é" * 32)]])  # 64 bytes
    msg = await bot.send_message(ALICE["id"], "ticket", reply_markup=ok)
    assert msg.reply_markup == ok
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("认领", callback_data="é" * 33)]])  # 66 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ALICE["id"], "ticket", reply_markup=too_long)
    reply_kb = await bot.send_message(ALICE["id"], "menu", reply_markup=ReplyKeyboardMarkup([["帮助"]]))
    assert reply_kb.reply_markup is None  # Telegram echoes inline keyboards only


async def test_edit_delete_and_callback_answers(fake: FakeBotAPI, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("关闭", callback_data="t:1:close")]])
    msg = await bot.send_message(ALICE["id"], "工单 #1", reply_markup=markup)
    edited = await bot.edit_message_text("工单 #1 已认领", ALICE["id"], msg.message_id, reply_markup=markup)
    assert edited.text == "工单 #1 已认领" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("工单 #1 已认领", ALICE["id"], msg.message_id, reply_markup=markup)
    await bot.edit_message_reply_markup(ALICE["id"], msg.message_id, reply_markup=None)
    assert "reply_markup" not in fake.sent(ALICE["id"])[-1]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(ALICE["id"], msg.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", ALICE["id"], 4242)

    update_id = fake.callback(ALICE, fake.sent(ALICE["id"])[-1], "t:1:close")
    query = fake.updates[-1]["callback_query"]
    assert fake.updates[-1]["update_id"] == update_id and query["message"]["message_id"] == msg.message_id
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query["id"], text="长" * 201)
    assert await bot.answer_callback_query(query["id"], text="已关闭")
    assert fake.callback_answers[query["id"]]["text"] == "已关闭"

    assert await bot.delete_message(ALICE["id"], msg.message_id)
    assert (ALICE["id"], msg.message_id) in fake.deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ALICE["id"], msg.message_id)


# ------------------------------------------------------------------ errors and faults


async def test_injected_faults_map_to_ptb_exceptions(fake: FakeBotAPI, bot: Bot) -> None:
    fake.inject("sendMessage", flood(7))
    fake.inject("sendmessage", migrated(-100777), match={"chat_id": GROUP_ID})
    with pytest.raises(RetryAfter) as flood_error:
        await bot.send_message(ALICE["id"], "a")
    assert retry_seconds(flood_error.value) == 7
    await bot.send_message(ALICE["id"], "b")  # consumed: the next call succeeds
    with pytest.raises(ChatMigrated) as migrated_error:
        await bot.send_message(GROUP_ID, "c")
    assert migrated_error.value.new_chat_id == -100777

    for fault in (bad_gateway(), server_error(), garbage()):
        fake.inject("sendMessage", fault)
        with pytest.raises(NetworkError):
            await bot.send_message(ALICE["id"], "d")
    assert [m["text"] for m in fake.sent()] == ["b"]
    assert len(fake.fault_log) == 5


async def test_blocked_user_is_forbidden(fake: FakeBotAPI, bot: Bot) -> None:
    fake.my_chat_member(builders.private_chat(ALICE), ALICE, "member", "kicked")
    assert ALICE["id"] in fake.blocked_users
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE["id"], "hi")
    fake.my_chat_member(builders.private_chat(ALICE), ALICE, "kicked", "member")
    await bot.send_message(ALICE["id"], "welcome back")


async def test_dropped_connection_is_a_network_error(fake: FakeBotAPI, bot: Bot) -> None:
    fake.inject("sendMessage", disconnect())
    with pytest.raises(NetworkError) as error:
        await bot.send_message(ALICE["id"], "lost")
    assert not isinstance(error.value, (BadRequest, TimedOut))
    assert fake.sent() == []

    fake.inject("sendMessage", disconnect(after_processing=True))  # sent, but the answer is lost
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE["id"], "sent twice?")
    assert [m["text"] for m in fake.sent()] == ["sent twice?"]


async def test_slow_answers(fake: FakeBotAPI, bot: Bot) -> None:
    fake.inject("sendMessage", slow(0.05))
    assert (await bot.send_message(ALICE["id"], "late but fine")).text == "late but fine"
    fake.inject("sendMessage", slow(0.05, then=blocked()))
    with pytest.raises(Forbidden):
        await bot.send_message(ALICE["id"], "late and refused")
    fake.inject("sendMessage", slow(30))
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE["id"], "too late", read_timeout=0.2)


async def test_fail_randomly_is_deterministic() -> None:
    async def outcomes() -> list[str]:
        async with running_fake() as api, make_bot(api) as real_bot:
            api.add_user(ALICE)
            api.fail_randomly(0.5, seed=42, kinds=[flood(1), server_error(), disconnect()])
            results = []
            for i in range(16):
                try:
                    await real_bot.send_message(ALICE["id"], str(i))
                    results.append("ok")
                except TelegramError as error:
                    results.append(type(error).__name__)
            return results

    first = await outcomes()
    assert first == await outcomes()
    assert {"ok", "RetryAfter", "NetworkError"} <= set(first)


async def test_unknown_method_is_recorded_and_fails_strict_teardown(fake: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(TelegramError):  # PTB reports a 404 as InvalidToken
        await bot.do_api_request("sendFancyThing", api_kwargs={"chat_id": 1})
    assert fake.unknown_methods == ["sendFancyThing"]
    fake.unknown_methods.clear()  # keep this test's own teardown green

    with pytest.raises(pytest.fail.Exception, match="sendFancyThing"):
        async with running_fake() as other, make_bot(other) as other_bot:
            with pytest.raises(TelegramError):
                await other_bot.do_api_request("sendFancyThing")


# ------------------------------------------------------------------ updates: polling and webhook


async def test_long_poll_returns_when_an_update_is_pushed(fake: FakeBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await fake.wait_for(lambda: fake.waiting_polls == 1)
    update_id = fake.user_text(ALICE, "在吗")
    updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message.text == "在吗" and updates[0].message.from_user.id == ALICE["id"]


async def test_offsets_limit_and_allowed_updates(fake: FakeBotAPI, bot: Bot) -> None:
    first = fake.user_text(ALICE, "1")
    fake.user_command(ALICE, "/start ent_42")
    fake.callback(ALICE, fake.messages[(ALICE["id"], 1)], "x")
    assert [u.update_id for u in await bot.get_updates(limit=2)] == [first, first + 1]
    assert [u.update_id for u in await bot.get_updates(offset=first + 1)] == [first + 1, first + 2]
    assert [u["update_id"] for u in fake.updates] == [first + 1, first + 2]  # first is confirmed
    only_callbacks = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in only_callbacks] == ["x"]
    latest = await bot.get_updates(offset=-1, allowed_updates=[])
    assert [u.update_id for u in latest] == [first + 2]
    assert [u["update_id"] for u in fake.updates] == [first + 2]
    assert await bot.get_updates(offset=first + 3) == ()


async def test_get_updates_conflicts(fake: FakeBotAPI, bot: Bot) -> None:
    async with make_bot(fake) as second_instance:
        old_poll = asyncio.create_task(bot.get_updates(timeout=30))
        await fake.wait_for(lambda: fake.waiting_polls == 1)
        assert await second_instance.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await old_poll
    await bot.set_webhook("http://127.0.0.1:1/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()


async def test_webhook_delivery_secret_and_retries(fake: FakeBotAPI, bot: Bot) -> None:
    received: list[tuple[web.Request, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request, await request.json()))
        return web.Response(status=500 if len(received) == 1 else 200)

    receiver = web.Application()
    receiver.router.add_post("/tg", hook)
    async with TestServer(receiver, host="127.0.0.1") as server:
        update_id = fake.user_text(ALICE, "webhook hello")
        await bot.set_webhook(str(server.make_url("/tg")), secret_token="s3cret-Token_1",
                              allowed_updates=["message"])
        assert await fake.deliver_webhook() == 0  # 500: kept for a retry
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 1 and "500" in info.last_error_message
        assert await fake.deliver_webhook() == 1
        assert fake.webhook_attempts[update_id] == 2 and fake.updates == []
        assert await fake.redeliver(update_id) == 200  # at-least-once: the same update again
    assert [body["update_id"] for _, body in received] == [update_id] * 3
    for request, _ in received:
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret-Token_1"

    fake.user_text(ALICE, "dropped")
    await bot.delete_webhook(drop_pending_updates=True)
    assert fake.webhook == {} and fake.updates == []


# ------------------------------------------------------------------ chats, topics, files, limits


async def test_forum_topics(fake: FakeBotAPI, bot: Bot) -> None:
    topic = await bot.create_forum_topic(GROUP_ID, "工单 #7 融资咨询")
    msg = await bot.send_message(GROUP_ID, "新需求", message_thread_id=topic.message_thread_id)
    assert msg.message_thread_id == topic.message_thread_id and msg.is_topic_message
    fake.staff_text(GROUP_ID, STAFF, "我来处理", thread_id=topic.message_thread_id)
    assert [m["text"] for m in fake.sent(GROUP_ID, thread_id=topic.message_thread_id)] == ["新需求"]
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(GROUP_ID, "x", message_thread_id=999)

    assert await bot.edit_forum_topic(GROUP_ID, topic.message_thread_id, name="工单 #7 已认领")
    assert await bot.close_forum_topic(GROUP_ID, topic.message_thread_id)
    with pytest.raises(BadRequest, match="Topic_not_modified"):
        await bot.close_forum_topic(GROUP_ID, topic.message_thread_id)
    assert await bot.reopen_forum_topic(GROUP_ID, topic.message_thread_id)
    assert await bot.delete_forum_topic(GROUP_ID, topic.message_thread_id)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(GROUP_ID, "x", message_thread_id=topic.message_thread_id)

    fake.add_chat(builders.supergroup(-100555, "plain group"))
    with pytest.raises(BadRequest, match="The chat is not a forum"):
        await bot.create_forum_topic(-100555, "t")


async def test_chat_info_members_and_commands(fake: FakeBotAPI, bot: Bot) -> None:
    chat = await bot.get_chat(GROUP_ID)
    assert chat.is_forum and chat.title == "SME staff"
    assert (await bot.get_chat_member(GROUP_ID, STAFF["id"])).status == "member"
    assert (await bot.get_chat_member(GROUP_ID, 31337)).status == "left"
    assert (await bot.get_chat_member(GROUP_ID, bot.id)).status == "administrator"
    fake.members[(GROUP_ID, STAFF["id"])] = "creator"
    assert (await bot.get_chat_member(GROUP_ID, STAFF["id"])).status == "creator"
    assert await bot.send_chat_action(ALICE["id"], "typing")

    assert await bot.set_my_commands([("start", "开始"), ("help", "帮助")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Bad-Command", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_copy_photo_upload_and_download(fake: FakeBotAPI, bot: Bot) -> None:
    photo = fake.add_file(b"\xff\xd8 user photo", kind="photos")
    incoming = builders.photo_message(builders.private_chat(ALICE), ALICE, fake.next_message_id(ALICE["id"]),
                                      photo.ref(), caption="营业执照")
    fake.push_update(message=incoming)
    topic = await bot.create_forum_topic(GROUP_ID, "工单 #8")
    copied = await bot.copy_message(GROUP_ID, ALICE["id"], incoming["message_id"],
                                    message_thread_id=topic.message_thread_id)
    relayed = fake.sent(GROUP_ID, thread_id=topic.message_thread_id)[-1]
    assert relayed["message_id"] == copied.message_id and relayed["caption"] == "营业执照"
    assert relayed["photo"][-1]["file_id"] == photo.file_id and "forward_origin" not in relayed
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(GROUP_ID, ALICE["id"], 4242)

    forwarded = await bot.forward_message(GROUP_ID, ALICE["id"], incoming["message_id"])
    assert forwarded.forward_origin.sender_user.id == ALICE["id"] and forwarded.photo

    uploaded = await bot.send_document(ALICE["id"], b"%PDF-1.7 receipt", filename="回执.pdf", caption="回执")
    assert uploaded.document.file_name == "回执.pdf" and uploaded.document.file_size == 16
    again = await bot.send_document(GROUP_ID, uploaded.document.file_id)
    assert again.document.file_unique_id == uploaded.document.file_unique_id
    file = await bot.get_file(uploaded.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.7 receipt"
    sent_photo = await bot.send_photo(ALICE["id"], photo.file_id)
    assert bytes(await (await sent_photo.photo[-1].get_file()).download_as_bytearray()) == photo.data
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(ALICE["id"], photo.file_id, caption="x" * 1025)


async def test_rate_limit_emulation(fake: FakeBotAPI, bot: Bot) -> None:
    now = [0.0]
    for user_id in range(1, 32):
        fake.add_user(builders.user(user_id))

    limits = fake.enable_rate_limits(RateLimits(clock=lambda: now[0]))
    await bot.send_message(ALICE["id"], "1")
    with pytest.raises(RetryAfter) as per_chat:
        await bot.send_message(ALICE["id"], "2")
    assert retry_seconds(per_chat.value) == 1
    now[0] += 1
    await bot.send_message(ALICE["id"], "3")

    for i in range(20):  # all topics of the staff group share one budget
        await bot.send_message(GROUP_ID, str(i))
    with pytest.raises(RetryAfter) as per_group:
        await bot.copy_message(GROUP_ID, ALICE["id"], fake.sent(ALICE["id"])[0]["message_id"])
    assert retry_seconds(per_group.value) == 3
    assert limits.floods == {"chat": 1, "group": 1}

    limits = fake.enable_rate_limits(RateLimits(clock=lambda: now[0]))
    for user_id in range(1, 31):
        await bot.send_message(user_id, "broadcast")
    with pytest.raises(RetryAfter):
        await bot.send_message(31, "broadcast")
    assert limits.floods == {"global": 1} and limits.flood_count == 1


# ------------------------------------------------------------------ builders


def test_builders_parse_as_ptb_updates() -> None:
    bot = Bot(FakeBotAPI().token)
    chat, group = builders.private_chat(ALICE), builders.supergroup(GROUP_ID, is_forum=True)
    files = [builders.file_stub("a"), builders.file_stub("b")]
    album = builders.media_group(chat, ALICE, 10, files, "album-1", caption="两张")
    payloads = [
        {"message": builders.command_message(chat, ALICE, "/start ent_42", 1)},
        {"message": builders.text_message(group, STAFF, "topic", 2, thread_id=5)},
        *({"message": m} for m in album),
        {"message": builders.document_message(chat, ALICE, 3, builders.file_stub("d"), file_name="a.pdf")},
        {"message": builders.sticker_message(chat, ALICE, 4, builders.file_stub("s"))},
        {"message": builders.voice_message(chat, ALICE, 5, builders.file_stub("v"))},
        {"message": builders.location_message(chat, ALICE, 6, 31.23, 121.47)},
        {"message": builders.contact_message(chat, ALICE, 7, "+8613800000000", "Alice")},
        {"edited_message": builders.edited(builders.text_message(chat, ALICE, "old", 8), "new")},
        {"my_chat_member": builders.chat_member_updated(group, STAFF, builders.user(9, is_bot=True), "left",
                                                        "administrator")},
        {"chat_member": builders.chat_member_updated(group, STAFF, ALICE, "member", "restricted")},
    ]
    updates = [Update.de_json({"update_id": i, **p}, bot) for i, p in enumerate(payloads)]
    command, topic, first, second, doc, sticker, voice, loc, contact, edit, mine, member = updates
    assert command.message.text == "/start ent_42" and command.message.entities[0].type == "bot_command"
    assert topic.message.is_topic_message and topic.message.message_thread_id == 5
    assert first.message.media_group_id == second.message.media_group_id == "album-1"
    assert first.message.caption == "两张" and second.message.caption is None
    assert first.message.photo[-1].file_size == 1024 and doc.message.document.file_name == "a.pdf"
    assert sticker.message.sticker.emoji and voice.message.voice.mime_type == "audio/ogg"
    assert loc.message.location.latitude == 31.23 and contact.message.contact.user_id == ALICE["id"]
    assert edit.edited_message.text == "new" and edit.edited_message.edit_date
    assert mine.my_chat_member.new_chat_member.status == "administrator"
    assert member.chat_member.new_chat_member.status == "restricted"
