"""Builders of Telegram-shaped dicts (Bot API JSON, never PTB objects) for updates.

Messages are plain dicts; wrap them with ``FakeBotAPI.push_update(message=...)`` (which also
stores them so the bot can copy or forward them) or ``Update.de_json`` in in-process tests.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

JSON = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def user(
    user_id: int,
    first_name: str = "User",
    *,
    username: str | None = None,
    language_code: str | None = "zh-hans",
    is_bot: bool = False,
) -> JSON:
    out: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if username:
        out["username"] = username
    if language_code and not is_bot:
        out["language_code"] = language_code
    return out


def private_chat(of_user: JSON) -> JSON:
    chat = {"id": of_user["id"], "type": "private", "first_name": of_user["first_name"]}
    if "username" in of_user:
        chat["username"] = of_user["username"]
    return chat


def supergroup(chat_id: int, title: str = "Staff", *, is_forum: bool = False) -> JSON:
    """A supergroup (ids are negative, ``-100…``); ``is_forum`` enables topics."""
    chat: JSON = {"id": chat_id, "type": "supergroup", "title": title}
    if is_forum:
        chat["is_forum"] = True
    return chat


def file_stub(seed: str, size: int = 1024) -> JSON:
    """Deterministic ``file_id`` / ``file_unique_id`` / ``file_size`` for a file with no bytes."""
    digest = hashlib.sha1(seed.encode()).hexdigest()
    return {"file_id": f"BQACAgI{digest[:24]}", "file_unique_id": f"AgAD{digest[24:34]}", "file_size": size}


def message(
    chat: JSON,
    sender: JSON,
    message_id: int,
    *,
    thread_id: int | None = None,
    date: int | None = None,
    **content: Any,
) -> JSON:
    """A message skeleton plus ``content`` (``text=…``, ``photo=[…]``, ``caption=…``, …)."""
    msg: JSON = {"message_id": message_id, "date": date or int(time.time()), "chat": chat, "from": sender}
    if thread_id is not None:
        msg["message_thread_id"] = thread_id
        msg["is_topic_message"] = bool(chat.get("is_forum"))
    msg.update({k: v for k, v in content.items() if v is not None})
    return msg


def text_message(chat: JSON, sender: JSON, text: str, message_id: int, **kw: Any) -> JSON:
    return message(chat, sender, message_id, text=text, **kw)


def command_message(chat: JSON, sender: JSON, command: str, message_id: int, **kw: Any) -> JSON:
    """``command`` like ``"/start payload"``; adds the ``bot_command`` entity PTB filters on."""
    word = command.split(maxsplit=1)[0]
    entity = {"type": "bot_command", "offset": 0, "length": utf16_len(word)}
    return message(chat, sender, message_id, text=command, entities=[entity], **kw)


def photo_sizes(file: JSON, width: int = 1280, height: int = 960) -> list[JSON]:
    """A PhotoSize list (thumbnail, full size) for ``file`` (``file_id``/``file_unique_id``/``file_size``)."""
    ref = {k: file[k] for k in ("file_id", "file_unique_id", "file_size")}
    thumb = {"file_id": ref["file_id"] + "_s", "file_unique_id": ref["file_unique_id"] + "s",
             "file_size": max(1, ref["file_size"] // 10), "width": 90, "height": 90 * height // width}
    return [thumb, {**ref, "width": width, "height": height}]


def document(file: JSON, file_name: str = "document.pdf", mime_type: str = "application/pdf") -> JSON:
    ref = {k: file[k] for k in ("file_id", "file_unique_id", "file_size")}
    return {**ref, "file_name": file_name, "mime_type": mime_type}


def photo_message(chat: JSON, sender: JSON, message_id: int, file: JSON, **kw: Any) -> JSON:
    return message(chat, sender, message_id, photo=photo_sizes(file), **kw)


def document_message(
    chat: JSON,
    sender: JSON,
    message_id: int,
    file: JSON,
    *,
    file_name: str = "document.pdf",
    mime_type: str = "application/pdf",
    **kw: Any,
) -> JSON:
    return message(chat, sender, message_id, document=document(file, file_name, mime_type), **kw)


def media_group(
    chat: JSON,
    sender: JSON,
    first_message_id: int,
    files: list[JSON],
    media_group_id: str,
    caption: str | None = None,
) -> list[JSON]:
    """An album: photo messages with consecutive ids sharing ``media_group_id``; caption on the first."""
    return [
        photo_message(chat, sender, first_message_id + i, f, media_group_id=media_group_id,
                      caption=caption if i == 0 else None)
        for i, f in enumerate(files)
    ]


def sticker_message(
    chat: JSON, sender: JSON, message_id: int, file: JSON, emoji: str = "👍", **kw: Any
) -> JSON:
    sticker = {"file_id": file["file_id"], "file_unique_id": file["file_unique_id"], "type": "regular",
               "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": emoji}
    return message(chat, sender, message_id, sticker=sticker, **kw)


def voice_message(
    chat: JSON, sender: JSON, message_id: int, file: JSON, duration: int = 3, **kw: Any
) -> JSON:
    voice = {**{k: file[k] for k in ("file_id", "file_unique_id", "file_size")}, "duration": duration,
             "mime_type": "audio/ogg"}
    return message(chat, sender, message_id, voice=voice, **kw)


def location_message(
    chat: JSON, sender: JSON, message_id: int, latitude: float, longitude: float, **kw: Any
) -> JSON:
    return message(chat, sender, message_id, location={"latitude": latitude, "longitude": longitude}, **kw)


def contact_message(
    chat: JSON, sender: JSON, message_id: int, phone_number: str, first_name: str, **kw: Any
) -> JSON:
    contact = {"phone_number": phone_number, "first_name": first_name, "user_id": sender["id"]}
    return message(chat, sender, message_id, contact=contact, **kw)


def edited(original: JSON, text: str, *, edit_date: int | None = None) -> JSON:
    """The same message with new text, for an ``edited_message`` update."""
    return {**original, "text": text, "edit_date": edit_date or int(time.time())}


def callback_query(query_id: str, sender: JSON, on_message: JSON, data: str) -> JSON:
    """A button press on ``on_message`` (a message the bot sent, as recorded by the fake)."""
    chat_instance = str(abs(on_message["chat"]["id"]))
    return {"id": query_id, "from": sender, "message": on_message, "chat_instance": chat_instance,
            "data": data}


def chat_member_updated(
    chat: JSON, sender: JSON, member: JSON, old_status: str, new_status: str, *, date: int | None = None
) -> JSON:
    """Payload of ``my_chat_member`` (``member`` is the bot) or ``chat_member`` updates."""
    return {
        "chat": chat,
        "from": sender,
        "date": date or int(time.time()),
        "old_chat_member": chat_member(member, old_status),
        "new_chat_member": chat_member(member, new_status),
    }


_ADMIN_RIGHTS = (
    "can_be_edited", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
    "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
    "can_post_stories", "can_edit_stories", "can_delete_stories", "can_pin_messages", "can_manage_topics",
)
_MEMBER_RIGHTS = (
    "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_manage_topics", "can_send_audios",
    "can_send_documents", "can_send_photos", "can_send_videos", "can_send_video_notes",
    "can_send_voice_notes", "can_edit_tag", "can_react_to_messages",
)


def chat_member(member: JSON, status: str) -> JSON:
    """A ChatMember of any status, with the fields PTB requires for it."""
    out: JSON = {"user": member, "status": status}
    if status == "creator":
        out["is_anonymous"] = False
    elif status == "administrator":
        out.update(dict.fromkeys(_ADMIN_RIGHTS, True), is_anonymous=False, can_be_edited=False)
    elif status == "restricted":
        out.update(dict.fromkeys(_MEMBER_RIGHTS, False), is_member=True, until_date=0)
    elif status == "kicked":
        out["until_date"] = 0
    return out
