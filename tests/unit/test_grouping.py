"""Near-duplicate grouping of unanswered questions (knowledge.grouping)."""
from pathlib import Path

import yaml
from hypothesis import given, settings, strategies as st

from knowledge.grouping import SIMILARITY, bigrams, dice, group_texts
from knowledge.normalize import normalize

EVAL = Path(__file__).resolve().parents[1] / "eval"


def reference(counts: dict[str, int]) -> list[list[str]]:
    """The same greedy clustering comparing every text with every leader."""
    leaders: list[str] = []
    groups: list[list[str]] = []
    for text in sorted(counts, key=lambda t: (-counts[t], t)):
        scores = [dice(bigrams(text), bigrams(leader)) for leader in leaders]
        best = max(range(len(scores)), key=lambda i: (scores[i], -i), default=None)
        if best is not None and scores[best] >= SIMILARITY:
            groups[best].append(text)
        else:
            leaders.append(text)
            groups.append([text])
    return groups


def test_variants_of_a_question_form_one_group_led_by_the_most_asked():
    counts = {normalize(q): n for q, n in [
        ("客户拖欠货款半年了怎么起诉", 1),
        ("客户拖欠货款半年了，怎么起诉？", 4),  # same normalised text as the first
        ("客户拖欠货款半年了怎么起诉呢", 2),
        ("客户拖欠货款半年了该怎么起诉", 1),
        ("怎么起诉，客户拖欠货款半年了", 1),
        ("试用期最长可以约定多久", 3),
        ("试用期最长能约定多久啊", 1),
        ("可以开发票吗", 1),
    ]}
    groups = group_texts(counts)
    assert groups == [
        ["客户拖欠货款半年了怎么起诉", "客户拖欠货款半年了怎么起诉呢", "客户拖欠货款半年了该怎么起诉",
         "怎么起诉客户拖欠货款半年了"],
        ["试用期最长可以约定多久", "试用期最长能约定多久啊"],
        ["可以开发票吗"],
    ]


def test_groups_grow_around_leaders_not_along_chains():
    a, b, c = "甲乙丙丁戊己庚辛", "甲乙丙丁戊己壬癸", "丙丁戊己壬癸子丑"
    assert dice(bigrams(a), bigrams(b)) >= SIMILARITY
    assert dice(bigrams(b), bigrams(c)) >= SIMILARITY
    assert dice(bigrams(a), bigrams(c)) < SIMILARITY
    assert group_texts({a: 3, b: 2, c: 1}) == [[a, b], [c]]


def test_a_text_joins_the_most_similar_leader_not_the_first():
    a, b, text = "甲乙丙丁戊己庚辛", "丁戊己庚辛壬癸子", "丙丁戊己庚辛壬癸"
    assert dice(bigrams(a), bigrams(b)) < SIMILARITY
    assert SIMILARITY <= dice(bigrams(text), bigrams(a)) < dice(bigrams(text), bigrams(b))
    assert group_texts({a: 3, b: 2, text: 1}) == [[a], [b, text]]


def test_equal_counts_are_ordered_alphabetically_and_single_characters_work():
    assert group_texts({"甲": 1, "乙": 1, "甲乙": 1}) == [["乙"], ["甲"], ["甲乙"]]
    assert group_texts({}) == []


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text("abcde", min_size=1, max_size=9), st.integers(1, 4),
                       max_size=40))
def test_prefix_filtering_finds_exactly_what_comparing_everything_finds(counts):
    assert group_texts(counts) == reference(counts)


def development_questions() -> list[str]:
    found = []
    for part in "abc":
        data = yaml.safe_load((EVAL / "dev" / f"legacy_{part}.yaml").read_text(encoding="utf-8"))
        found += [normalize(item["q"]) for item in data["in_scope"]]
    return sorted(set(found))


def test_different_development_questions_stay_apart_and_their_variants_join_them():
    questions = development_questions()
    assert len(questions) > 250
    assert len(group_texts(dict.fromkeys(questions, 2))) == len(questions)
    counts = dict.fromkeys(questions, 2)
    variant_of = {}
    for question in questions:
        middle = len(question) // 2
        for variant in (question + "呢", question[:middle] + question[middle + 1:]):
            if variant not in counts:
                counts[variant] = 1
                variant_of[variant] = question
    groups = group_texts(counts)
    leader = {text: group[0] for group in groups for text in group}
    assert all(leader[q] == q for q in questions)  # no two questions merged
    joined = sum(leader[v] == q for v, q in variant_of.items())
    assert joined / len(variant_of) >= 0.95
