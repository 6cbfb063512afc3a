"""The bundled knowledge base: coverage, citations and agreement with the guide."""
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge.consistency import check_all
from knowledge.loader import load_knowledge_base

REPO = Path(__file__).resolve().parents[2]
AREAS = {"平台服务", "货款拖欠与债权", "合同风险", "劳动用工", "知识产权", "公司治理", "税务", "融资",
         "项目申报与认定", "经营合规"}


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base(REPO / "knowledge" / "faq")


def test_kb_check_passes_against_the_guide():
    kb, problems = check_all(REPO / "knowledge" / "faq")
    assert problems == [], [str(p) for p in problems[:5]]


def test_counts_and_areas(kb):
    assert len(kb.entries) >= 180
    per_area = Counter(e.category for e in kb.entries)
    assert set(per_area) == AREAS
    assert min(per_area.values()) >= 15


def test_every_entry_is_cited_dated_and_phrased_many_ways(kb):
    for entry in kb.entries:
        assert len(entry.alternates) >= 5, entry.id
        assert entry.source and ("《" in entry.source or "平台" in entry.source), entry.id
        assert entry.updated.year == 2026, entry.id
        assert 80 <= len(entry.answer) <= 600, entry.id
        assert len(entry.id) <= 48, entry.id  # fits Telegram's 64-byte callback data


def test_required_facts_are_stated(kb):
    text = {e.id: e.answer + e.source for e in kb.entries}
    everything = "".join(text.values())
    for fact in ("第188条", "3年", "20%", "第82条", "二倍", "第47条", "5年", "30日", "1年",
                 "15%", "4倍", "第66条", "2027年12月31日"):
        assert fact in everything, fact


def test_platform_entries_point_to_the_bot_commands(kb):
    platform = " ".join(e.answer for e in kb.entries if e.category == "平台服务")
    for command in ("/new", "/mytickets", "/human"):
        assert command in platform


# ---- issue 17: corrections found by the fact check --------------------------------------------

def test_tech_contract_vat_relief_no_longer_rests_on_the_2016_notice(kb):
    entry = kb.get("projects-tech-contract")
    assert "36号" not in entry.source and "可按规定申请免征增值税" not in entry.answer
    assert "增值税法" in entry.source and "公告2026年第10号" in entry.source
    assert "停止适用" in entry.answer and "尚未确认" in entry.answer
    assert entry.valid_until.isoformat() == "2027-12-31" and entry.review_by is not None


def test_written_contract_agrees_with_double_wage_on_refusal(kb):
    written, double = kb.get("labor-written-contract"), kb.get("labor-double-wage")
    assert "即使员工不签，也要按规定支付二倍工资" not in written.answer
    for entry in (written, double):
        assert "故意或者重大过失" in entry.answer and "法释〔2025〕12号）第7条" in entry.source


def test_key_clauses_state_the_payment_term_of_large_enterprises_as_the_decree_does(kb):
    entry = kb.get("contract-key-clauses")
    assert "大型企业一般不超过60日" not in entry.answer
    assert "合同没有约定的，应自交付之日起60日内付款" in entry.answer
    assert "行业规范、交易习惯合理约定" in entry.answer and "“背靠背”条款无效" in entry.answer
    assert "国务院令第802号）第9条" in entry.source
    assert "行业规范、交易习惯合理约定" in kb.get("debt-sme-payment-terms").answer


def test_ladder_entries_describe_the_2026_measures(kb):
    for entry_id in ("projects-innovative-sme", "projects-ladder", "projects-tech-sme-evaluation",
                     "platform-project-application"):
        entry = kb.get(entry_id)
        assert "科技和创新型中小企业" in entry.answer, entry_id
        assert "工信部企业〔2026〕2号" in entry.source, entry_id
        assert "暂行办法》（工信部企业〔2022〕63号" not in entry.source, entry_id
        assert entry.review_by is not None, entry_id
    innovative = kb.get("projects-innovative-sme").answer
    assert "不是现行标准" in innovative and "尚未逐项确认" in innovative
    assert "总分达到60分以上" not in innovative
    assert "科技型中小企业评价、创新型中小企业" not in kb.get("platform-project-application").answer
    evaluation = kb.get("projects-tech-sme-evaluation").answer
    assert "只能作参考" in evaluation and "尚未确认" in evaluation


def test_probation_pay_is_eighty_percent_of_either_base(kb):
    answer = kb.get("labor-probation-pay").answer
    assert "最低档工资，或者劳动合同约定工资的80%" not in answer
    assert "相同岗位最低档工资的80%，或者不得低于劳动合同约定工资的80%" in answer
    assert "可以按4200元执行" not in answer and "最低工资标准" in answer


def test_unconfirmed_facts_are_said_to_be_unconfirmed(kb):
    trademark = [e for e in kb.entries if "商标法" in e.source]
    assert len(trademark) >= 11
    for entry in trademark:
        assert "尚未确认修订后的商标法是否已通过" in entry.answer, entry.id
        assert entry.review_by is not None, entry.id
    procurement = kb.get("compliance-gov-procurement").answer
    assert "（2022年曾阶段性提高）" not in procurement
    assert "30%以上" in procurement and "尚未确认" in procurement


# ---- the bot's commands and request categories, as the locale file names them ---------------

LOCALE = yaml.safe_load((REPO / "bot" / "foundation" / "locales" / "zh-CN.yaml").read_text(encoding="utf-8"))
COMMANDS = {f"/{name}" for name in LOCALE["commands"]}
CATEGORIES = set(LOCALE["category"].values())
CATEGORY_RE = re.compile(r"选(?:择)?((?:“[^”]+”(?:或|、)?)+)")


def test_answers_name_only_commands_and_categories_that_exist(kb):
    named = 0
    for entry in kb.entries:
        for command in re.findall(r"(?<![\w/])/[a-z]+\b", entry.answer):
            assert command in COMMANDS, (entry.id, command)
        if "/new" not in entry.answer:
            continue
        for group in CATEGORY_RE.findall(entry.answer):
            for category in re.findall(r"“([^”]+)”", group):
                assert category in CATEGORIES, (entry.id, category)
                named += 1
    assert named >= 10  # the rule is exercised: platform and other entries name categories


def test_platform_financing_uses_the_intake_category(kb):
    assert "“融资对接”" not in kb.get("platform-financing").answer
    assert "选“融资”" in kb.get("platform-financing").answer
    listed = kb.get("platform-submit-need").answer.split("选择需求类别：")[1].split("；")[0]
    assert set(re.split(r"[、或]", listed)) == CATEGORIES


# ---- issue 17: professional referral where a wrong move is costly -----------------------------

NAMED_RISKY = ("labor-serious-misconduct", "contract-insecurity-defense",
               "tax-false-invoice-received", "debt-limitation-period", "debt-limitation-interrupt",
               "labor-pregnant-employee", "labor-unlawful-dismissal", "governance-guarantee",
               "finance-guarantee-others", "finance-equity-vam", "tax-false-invoicing")


def test_high_risk_entries_carry_a_referral_line(kb):
    from knowledge.referral import referral_line

    risky = [e for e in kb.entries if e.risk == "high"]
    assert 40 <= len(risky) <= 80
    assert not [e for e in risky if e.category == "平台服务"]
    for entry_id in NAMED_RISKY:
        assert kb.get(entry_id).risk == "high", entry_id
    for entry in risky:
        assert referral_line(entry.answer), entry.id


def test_riskiest_wordings_now_state_their_conditions(kb):
    misconduct = kb.get("labor-serious-misconduct").answer
    assert not misconduct.startswith("可以") and "不能凭老板一句话直接开除" in misconduct
    assert "也可以依法解除，但证据要更扎实" not in misconduct
    assert "证据不足就是违法解除" in misconduct and "孕期" in misconduct
    insecurity = kb.get("contract-insecurity-defense").answer
    assert not insecurity.startswith("可以") and "拿不出证据就停发货，自己要承担违约责任" in insecurity
    invoice = kb.get("tax-false-invoice-received").answer
    assert "仍可以税前扣除" not in invoice and "这三项必备" in invoice and "不能扣除" in invoice
    assert "最终由法院认定" in kb.get("debt-limitation-period").answer
    assert "法院可能认定时效没有中断" in kb.get("debt-limitation-interrupt").answer


def test_reliefs_ending_in_2027_carry_their_end_date(kb):
    for entry_id in ("tax-small-scale-relief", "tax-small-profit-cit", "tax-six-taxes-two-fees",
                     "tax-stamp-duty", "tax-sole-proprietor-vs-company", "finance-guihuidai"):
        assert kb.get(entry_id).valid_until.isoformat() == "2027-12-31", entry_id
    assert kb.get("governance-capital-transition").valid_until.isoformat() == "2027-06-30"
