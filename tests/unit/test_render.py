import random
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.delivery.telegram_html import (
    decode_callback, encode_callback, escape, split_html, visible_length,
)


class _Checker(HTMLParser):
    """Collects the visible text and checks that tags are balanced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(html_text: str) -> str:
    """The visible text of a balanced fragment (AssertionError otherwise)."""
    checker = _Checker()
    checker.feed(html_text)
    checker.close()
    assert not checker.stack, f"unclosed {checker.stack}"
    return "".join(checker.text)


def assert_split_ok(original: str, parts: list[str], limit: int) -> None:
    """Parts are balanced, within the limit, and together give the original text
    in order, apart from whitespace at the cut points."""
    whole = parse(original)
    pos = 0
    for part in parts:
        visible = parse(part)
        assert visible.strip(), f"empty part {part!r}"
        assert len(visible) == visible_length(part) <= limit
        found = whole.find(visible, pos)
        assert found >= 0 and not whole[pos:found].strip(), (part, whole[pos:])
        pos = found + len(visible)
    assert not whole[pos:].strip()


def long_answer(seed: int = 1) -> str:
    rng = random.Random(seed)
    words = ["社保", "补贴", "申请", "企业", "<b>高新技术</b>", "&lt;条件&gt;", "R&amp;D",
             '<a href="https://example.com/a?x=1&amp;y=2">链接</a>', "<code>x &lt; y</code>"]
    paragraphs = []
    while sum(visible_length(p) for p in paragraphs) < 10_000:
        sentences = ["".join(rng.choices(words, k=rng.randint(3, 30))) + rng.choice("。！？")
                     for _ in range(rng.randint(1, 8))]
        paragraph = "\n".join(sentences)
        if rng.random() < 0.3:
            paragraph = f"<i>{paragraph}</i>"
        if rng.random() < 0.1:  # a long tagged block forces cuts inside open tags
            paragraph = "<blockquote><b>" + "很长的段落" * 900 + "</b></blockquote>"
        paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


@pytest.mark.parametrize("seed", range(5))
def test_long_answer_is_split_at_the_limit(seed):
    text = long_answer(seed)
    assert visible_length(text) >= 10_000
    parts = split_html(text)
    assert len(parts) >= 3
    assert_split_ok(text, parts, 4096)


def test_cut_prefers_paragraph_then_line_then_sentence():
    para = "甲" * 40 + "\n\n" + "乙" * 10 + "\n" + "丙" * 5 + "。" + "丁" * 30
    assert split_html(para, 70)[0] == "甲" * 40
    assert split_html(para.replace("\n\n", "。"), 70)[0] == "甲" * 40 + "。" + "乙" * 10
    assert split_html("丙" * 50 + "。" + "丁" * 30, 70)[0] == "丙" * 50 + "。"
    assert split_html("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


def test_break_too_early_in_the_window_is_ignored():
    assert split_html("ab\n\n" + "c" * 20, 10) == ["ab\n\ncccccc", "c" * 10, "cccc"]


def test_ascii_full_stop_needs_following_space():
    assert split_html("version 3.14 is out", 8) == ["version", "3.14 is", "out"]
    assert split_html("Done. Next step", 10) == ["Done.", "Next step"]


def test_open_tags_are_closed_and_reopened():
    parts = split_html('<b>bold <a href="https://x.cn">link text</a></b> tail', 8)
    assert parts == ['<b>bold <a href="https://x.cn">lin</a></b>',
                     '<b><a href="https://x.cn">k text</a></b> t', "ail"]


def test_never_cuts_inside_an_entity():
    assert split_html("a&amp;b&lt;c", 2) == ["a&amp;", "b&lt;", "c"]


def test_short_and_empty_text():
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]
    assert split_html("") == []
    assert split_html(" \n\n <i> </i>") == []
    with pytest.raises(ValueError):
        split_html("x", 0)


def test_visible_length():
    assert visible_length('<a href="u">x&lt;y</a> &amp; &quot;z&quot; &#128512;') == 11
    assert visible_length("中文") == 2


def test_escape():
    assert escape('<b>"R&D"</b>') == '&lt;b&gt;"R&amp;D"&lt;/b&gt;'
    assert escape("a\x00b\x07c\rd\n\te\x1f") == "abcd\n\te"


ENTITY_OR_PLAIN = re.compile(r"&(?!(?:lt|gt|amp|quot);)")


@given(st.text())
def test_escape_output_is_safe_text(text):
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert not ENTITY_OR_PLAIN.search(escaped)
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", escaped)


@given(st.text(), st.integers(1, 60))
def test_split_of_escaped_text(text, limit):
    html_text = escape(text)
    assert_split_ok(html_text, split_html(html_text, limit), limit)


def _wrap(children: list[str], tag: str) -> str:
    opening = '<a href="https://e.cn/?q=1&amp;r=2">' if tag == "a" else f"<{tag}>"
    return opening + "".join(children) + f"</{tag}>"


TAGS = ["b", "i", "u", "s", "code", "pre", "a", "blockquote"]
html_fragments = st.recursive(
    st.one_of(st.text(st.sampled_from("ab 中。.!?\n"), max_size=20).map(escape),
              st.sampled_from(["&lt;", "&amp;", "&quot;", "\n\n"])),
    lambda inner: st.builds(_wrap, st.lists(inner, max_size=4), st.sampled_from(TAGS)),
    max_leaves=30,
)


@given(st.lists(html_fragments, max_size=6).map("".join), st.integers(1, 40))
def test_split_of_tagged_html(html_text, limit):
    assert_split_ok(html_text, split_html(html_text, limit), limit)


callback_text = st.text(st.characters(blacklist_characters=":", blacklist_categories=("Cs",)),
                        max_size=8)


@given(st.lists(st.one_of(callback_text, st.integers(-10**6, 10**6)), min_size=1, max_size=5))
def test_callback_round_trip(parts):
    try:
        data = encode_callback(*parts)
    except ValueError:
        assert not 1 <= len(":".join(map(str, parts)).encode("utf-8")) <= 64
        return
    assert decode_callback(data) == [str(p) for p in parts]


def test_callback_limit_counts_utf8_bytes():
    assert encode_callback("t", 42, "ok") == "t:42:ok"
    assert decode_callback("t:42:ok") == ["t", "42", "ok"]
    assert len(encode_callback("中" * 21).encode()) == 63  # 21 characters, 63 bytes
    with pytest.raises(ValueError):
        encode_callback("中" * 22)  # 22 characters, 66 bytes
    with pytest.raises(ValueError):
        encode_callback("a", "中" * 21)  # 1 + 1 + 63 bytes
    assert encode_callback("x" * 64) == "x" * 64
    with pytest.raises(ValueError):
        encode_callback("x" * 65)


def test_callback_rejects_separator_and_empty_data():
    with pytest.raises(ValueError):
        encode_callback("a:b")
    with pytest.raises(ValueError):
        encode_callback()
    with pytest.raises(ValueError):
        encode_callback("")
    with pytest.raises(ValueError):
        encode_callback("\ud800")  # not encodable as UTF-8
