"""Broadcast rules without a database: staff HTML, the segment syntax, the topic picker."""
import pytest

from bot.outreach.broadcast_segment import Segment, SegmentError, parse
from bot.delivery.safe_html import sanitize
from bot.outreach.subscriptions import pressed, stored_form, topics_of, typed_choice


@pytest.mark.parametrize("typed, shown", [
    ("<b>贴息</b> 利率<5% & 更多", "<b>贴息</b> 利率&lt;5% &amp; 更多"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<b><i>交叉</b></i>", "&lt;b&gt;<i>交叉&lt;/b&gt;</i>"),
    ("<B>未闭合", "&lt;B&gt;未闭合"),
    ("</i>孤立", "&lt;/i&gt;孤立"),
    ('<a href="https://a.cn/?x=1&y=2">链接</a>', '<a href="https://a.cn/?x=1&amp;y=2">链接</a>'),
    ('<a href="javascript:x()">x</a>', '&lt;a href="javascript:x()"&gt;x&lt;/a&gt;'),
    ("<code><b>x</b></code>", "<code>&lt;b&gt;x&lt;/b&gt;</code>"),
    ("&lt;已转义&gt;", "&amp;lt;已转义&amp;gt;"),
])
def test_staff_html_keeps_a_balanced_subset_and_shows_the_rest_as_typed(typed, shown):
    assert sanitize(typed) == shown


def test_segment_filters_and_body():
    segment, body = parse("[类别:融资，legal、Project] 【行业：制造业】 [区域:鼓楼区,台江区]\n第一行\n第二行")
    assert segment == Segment(("financing", "legal", "project"), ("制造业",), ("鼓楼区", "台江区"))
    assert body == "第一行\n第二行"
    assert parse("没有筛选条件 [类别:融资] 在正文里") == (
        Segment(), "没有筛选条件 [类别:融资] 在正文里")
    assert Segment.from_json(segment.to_json()) == segment
    assert "类别：融资、法律咨询、项目申报；行业：制造业；区域：鼓楼区、台江区" == segment.describe("zh-CN")


@pytest.mark.parametrize("text, reason", [
    ("[颜色:红] 正文", "unknown_filter"), ("[类别:税务] 正文", "unknown_category"),
    ("[行业:] 正文", "bad_values"), ("[区域:" + "区" * 40 + "] 正文", "bad_values"),
])
def test_bad_filters_are_refused(text, reason):
    with pytest.raises(SegmentError) as caught:
        parse(text)
    assert caught.value.reason == reason


def test_topic_picker_state_travels_in_the_buttons():
    assert pressed("sub:t:0:0") == ("toggle", {"financing"})
    assert pressed("sub:t:1:0") == ("toggle", frozenset())
    assert pressed("sub:all:3")[1] == topics_of("all")
    assert pressed("sub:all:511") == ("toggle", frozenset())
    assert pressed("sub:ok:3") == ("save", {"financing", "legal"})
    assert pressed("sub:t:1:99") is None and pressed("sub:x:1") is None
    assert stored_form(topics_of("all")) == "all" and stored_form(frozenset({"hr"})) == "hr"
    assert typed_choice("1，3") == {"financing", "project"} and typed_choice("全部") == topics_of("all")
    assert typed_choice("0") is None and typed_choice("一") is None
