"""Messages that are not questions: greetings, thanks, goodbyes, a bare number.

They get a friendly reply instead of "抱歉，没有找到答案" and are never logged as unanswered
questions for staff to review. A message counts as small talk only when every word in it is
small talk ("你好" yes, "你好，试用期多久" no).
"""
from __future__ import annotations

import re
from enum import StrEnum

from .normalize import strip_markup


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    BYE = "bye"
    NUMBER = "number"


_WORDS = {
    SmallTalk.GREETING: ["你好", "您好", "你们好", "大家好", "在吗", "在不在", "有人吗", "哈喽", "嗨",
                         "hello", "hi", "hey", "早上好", "上午好", "中午好", "下午好", "晚上好", "早",
                         "老师好", "小助手", "机器人", "请问", "喂", "您好呀", "你好呀", "在"],
    SmallTalk.THANKS: ["谢谢", "多谢", "感谢", "谢啦", "谢了", "thanks", "thankyou", "thx", "辛苦了",
                       "好的", "好", "ok", "okay", "嗯", "嗯嗯", "收到", "明白了", "明白", "知道了",
                       "懂了", "了解", "行", "可以", "没问题", "太好了", "厉害", "赞"],
    SmallTalk.BYE: ["再见", "拜拜", "bye", "下次再问", "没有了", "没事了", "不用了"],
}
_PARTICLES = "啊呀啦哈哦噢呢吧了哇嘛的"


def _alternation(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_FOUND = {kind: re.compile(_alternation(words)) for kind, words in _WORDS.items()}
_ONLY_SMALL_TALK = re.compile(
    f"(?:{_alternation([w for words in _WORDS.values() for w in words])}|[{_PARTICLES}])+")


def small_talk(text: str) -> SmallTalk | None:
    """The kind of small talk, or None for a message that may be a question."""
    words = re.sub(r"[^\w]|_", "", strip_markup(text).lower())
    if not words:
        return None
    if words.isdigit():
        return SmallTalk.NUMBER
    if not _ONLY_SMALL_TALK.fullmatch(words):
        return None
    rest = _FOUND[SmallTalk.GREETING].sub("", words)  # "好" of "你好" is not thanks
    for kind in (SmallTalk.BYE, SmallTalk.THANKS):
        if _FOUND[kind].search(rest):
            return kind
    return SmallTalk.GREETING
