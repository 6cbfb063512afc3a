"""The matcher's quality gate on the blind evaluation set's test split (`make eval` prints the
same figures). The test split is never used for tuning; a regression of the matcher fails here."""
from pathlib import Path

import pytest

from knowledge.evaluation import EVAL_DIR, load_questions, run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results():
    return {(r.split, r.name): r for r in run(REPO / "knowledge" / "faq", EVAL_DIR)}


def test_evaluation_set_is_big_and_split():
    dev, test = (load_questions(EVAL_DIR / s) for s in ("dev", "test"))
    in_scope = [q for q in dev + test if q.kind == "in"]
    assert len(in_scope) >= 600
    assert len({q.chapter for q in in_scope}) == 10
    assert sum(q.kind in ("near", "uncovered") for q in test) >= 120
    assert sum(q.kind == "far" for q in test) >= 50
    assert not {q.text for q in dev} & {q.text for q in test}


def test_project_matcher_meets_the_floors_on_the_test_split(results):
    project = results["test", "project (lexical)"]
    assert project.direct_correct >= 0.55
    assert project.direct_wrong <= 0.03
    assert project.near_not_direct >= 0.85
    assert project.far_not_direct >= 0.98


@pytest.mark.parametrize("baseline", ["baseline wratio", "baseline bm25_jieba"])
def test_project_matcher_beats_the_baselines(results, baseline):
    project, other = results["test", "project (lexical)"], results["test", baseline]
    assert project.direct_correct > other.direct_correct
    assert project.ranking_top1 > other.ranking_top1
