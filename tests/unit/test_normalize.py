from knowledge.normalize import has_meaningful_text, normalize
from knowledge.synonyms import Synonyms


def test_traditional_full_width_punctuation_and_fillers():
    assert normalize("請問，勞動合同到期不續簽有補償嗎？") == "劳动合同到期不续签有补偿吗"
    assert normalize("ＳＣ证 怎么办！！") == "sc证怎么办"
    assert normalize("你好，老赖怎么查，谢谢") == "老赖怎么查"


def test_control_characters_and_emoji_are_dropped():
    assert normalize("公司\x00拖欠\t工资😀") == "公司拖欠工资"


def test_filler_only_question_keeps_its_words():
    assert normalize("谢谢") == "谢谢"


def test_meaningful_text():
    assert not has_meaningful_text("   \n\t")
    assert not has_meaningful_text("😀🙏？！")
    assert has_meaningful_text("社保")


def test_synonyms_append_canonical_terms_longest_first():
    syn = Synonyms({"高企": "高新技术企业", "老赖": "失信被执行人", "高新": "高新技术"})
    assert syn.expand("高企认定条件") == "高企认定条件高新技术企业"
    assert syn.expand("客户是老赖") == "客户是老赖失信被执行人"
    assert syn.expand("增值税") == "增值税"
