"""The matcher's quality gate on the project's development set (`make eval` prints the same)."""
from pathlib import Path

import pytest

from knowledge.evaluation import run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results():
    return {r.name: r for r in run(REPO / "knowledge" / "faq", REPO / "tests" / "eval")}


def test_development_set_is_big_enough(results):
    project = results["project (lexical)"]
    assert project.in_scope >= 200 and project.out_of_scope >= 60


def test_project_matcher_meets_the_gate(results):
    project = results["project (lexical)"]
    assert project.top3_accuracy >= 0.90
    assert project.wrong_direct <= 0.05
    assert project.out_of_scope_rejected >= 0.90


@pytest.mark.parametrize("baseline", ["baseline wratio", "baseline bm25_jieba"])
def test_project_matcher_beats_the_baselines(results, baseline):
    project, other = results["project (lexical)"], results[baseline]
    assert project.direct_accuracy > other.direct_accuracy
    assert project.top3_accuracy > other.top3_accuracy
    assert project.top3_ranking > other.top3_ranking
