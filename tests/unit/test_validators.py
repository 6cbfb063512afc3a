import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.requests.validators import (
    CREDIT_CODE_CHARS, ValidationError, credit_code_check_char, mask_phone,
    validate_company_name, validate_credit_code, validate_person_name, validate_phone,
)

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_code(first17: str) -> str:
    """Independent check-digit computation, straight from GB 32100-2015."""
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, WEIGHTS))
    value = 31 - total % 31
    return first17 + CREDIT_CODE_CHARS[0 if value == 31 else value]


code_char = st.sampled_from(CREDIT_CODE_CHARS)
valid_codes = st.builds(
    lambda head, area, body: make_code(head + area + body),
    st.text(code_char, min_size=2, max_size=2),
    st.text(st.sampled_from("0123456789"), min_size=6, max_size=6),
    st.text(code_char, min_size=9, max_size=9),
)

# Verified with the algorithm: a commonly cited example, and two published codes.
KNOWN_CODES = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"]


def reason(fn, text):
    with pytest.raises(ValidationError) as e:
        fn(text)
    return e.value.reason


def test_code_table_has_31_characters_without_i_o_s_v_z():
    assert len(CREDIT_CODE_CHARS) == 31
    assert not set("IOSVZ") & set(CREDIT_CODE_CHARS)


@pytest.mark.parametrize("code", KNOWN_CODES)
def test_known_codes_are_valid(code):
    assert validate_credit_code(code) == code
    assert make_code(code[:17]) == code


def test_check_value_31_maps_to_zero():
    assert credit_code_check_char("00000000000000000") == "0"  # 31 - 0 = 31 -> '0'
    assert credit_code_check_char("10000000000000000") == "Y"  # 31 - 1 = 30 -> 'Y'
    assert credit_code_check_char("U0000000000000000") == "4"  # 31 - 27 = 4


def test_input_is_normalised():
    assert validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"
    assert validate_credit_code("9135-0100 M000100Y4-3") == "91350100M000100Y43"
    assert validate_credit_code("91350100M000100Y43\u3000") == "91350100M000100Y43"


@pytest.mark.parametrize("text, expected", [
    ("", "credit_code.length"),
    ("91350100M000100Y4", "credit_code.length"),
    ("91350100M000100Y433", "credit_code.length"),
    ("91350100M000100I43", "credit_code.charset"),  # I is not in the code table
    ("913501O0M000100Y43", "credit_code.charset"),  # letter in the division code
    ("91350100M000100Y4!", "credit_code.charset"),
    ("91350100M000100Y44", "credit_code.check_digit"),
    ("91350100M000100Y34", "credit_code.check_digit"),  # transposition
])
def test_invalid_codes(text, expected):
    assert reason(validate_credit_code, text) == expected


@given(valid_codes)
def test_generated_codes_validate(code):
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code


@given(valid_codes, st.integers(0, 17), st.sampled_from(CREDIT_CODE_CHARS + "IOSVZ!#é中"))
def test_changing_one_character_is_rejected(code, position, replacement):
    assume(code[position] != replacement)
    mutated = code[:position] + replacement + code[position + 1:]
    with pytest.raises(ValidationError):
        validate_credit_code(mutated)


@pytest.mark.parametrize("text, expected", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("0086-19912345678", "19912345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("0771-1234567", "0771-1234567"),
    ("07711234567", "0771-1234567"),
    ("(0771) 1234567", "0771-1234567"),
    ("010-12345678", "010-12345678"),
    ("010 6552 9988", "010-65529988"),
    ("020-8888-6666", "020-88886666"),
    ("0771-1234567-123", "0771-1234567-123"),
    ("0771-1234567 转 88", "0771-1234567-88"),
    ("0771 1234567 ext. 9", "0771-1234567-9"),
])
def test_valid_phones(text, expected):
    assert validate_phone(text) == expected


@pytest.mark.parametrize("text", [
    "", "12812345678", "1381234567", "138123456789", "+1 138 1234 5678",
    "0771-123456", "0771-123456789", "077-11234567", "12345", "abc", "138a1234567",
    "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits
])
def test_invalid_phones(text):
    assert reason(validate_phone, text) == "phone.invalid"


@pytest.mark.parametrize("phone, masked", [
    ("13812345678", "138****5678"),
    ("+86 138 1234 5678", "138****5678"),
    ("0771-1234567", "0771-*****67"),
    ("010-12345678", "010-******78"),
    ("0771-1234567-123", "0771-*****67-***"),
    ("not a phone", "***"),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_company_names():
    assert validate_company_name("  南宁市某某科技有限公司 ") == "南宁市某某科技有限公司"
    assert validate_company_name("ACME  Trading\tLtd.") == "ACME Trading Ltd."
    assert validate_company_name("广西某某（南宁）有限公司") == "广西某某（南宁）有限公司"
    assert reason(validate_company_name, "  公 ") == "company.length"
    assert reason(validate_company_name, "某" * 101) == "company.length"
    assert reason(validate_company_name, "12345") == "company.invalid"
    assert reason(validate_company_name, "公司\x00") == "company.invalid"


def test_person_names():
    assert validate_person_name(" 张三 ") == "张三"
    assert validate_person_name("Li  Wei") == "Li Wei"
    assert validate_person_name("王") == "王"
    for bad in ["", "   ", "12345", "某" * 31, "李\x07"]:
        assert reason(validate_person_name, bad) == "name.invalid"


VALIDATORS = [validate_credit_code, validate_phone, validate_company_name, validate_person_name]
phone_like = st.from_regex(r"\A[+(]?[0-9 ()\-]{0,20}(转|ext)?[0-9]{0,6}\Z")


@pytest.mark.parametrize("validator", VALIDATORS)
@given(text=st.one_of(st.text(), phone_like, valid_codes))
def test_validators_return_a_fixed_point_or_raise_validation_error(validator, text):
    try:
        value = validator(text)
    except ValidationError as e:
        assert e.reason.split(".")[0] in {"credit_code", "phone", "company", "name"}
        return
    assert validator(value) == value


@given(st.text())
def test_mask_phone_never_fails_or_leaks_the_middle(text):
    masked = mask_phone(text)
    try:
        phone = validate_phone(text)
    except ValidationError:
        assert masked == "***"
        return
    assert len(masked) == len(phone)
    assert masked.count("*") >= 4
