"""The Aliyun SMS adapter, through the official SDK, against the emulator of its protocol:
signed requests, business error codes, flow control."""

import pytest

from shop.notices.backends import SmsError, SmsMessage, SmsRefused, get_backend


def message(phone: str = "13800138000", **params: str) -> SmsMessage:
    return SmsMessage(
        phone=phone,
        text="(rendered text, printed by the console backend only)",
        kind="gift_tracking",
        language="zh-hans",
        reference="claim-7-gift_tracking",
        params={
            "sender_name": "小王",
            "product": "手冲咖啡套装",
            "tracking_url": "https://gifts.example/t/7.abc/",
            **params,
        },
    )


def test_a_message_is_sent_as_its_template_with_the_context_as_params(aliyun) -> None:
    biz_id = get_backend().send(message())

    [sent] = aliyun.messages
    assert sent.biz_id == biz_id
    assert (sent.phone, sent.sign_name, sent.template_code) == (
        "13800138000",
        "礼物商城",
        "SMS_100001",
    )
    assert sent.out_id == "claim-7-gift_tracking"
    assert (
        sent.text
        == "【礼物商城】你已接受小王送的手冲咖啡套装，查看物流：https://gifts.example/t/7.abc/"
    )


def test_a_wrong_secret_is_refused_by_the_signature_check_for_good(aliyun, settings) -> None:
    settings.ALIBABA_SMS_ACCESS_KEY_SECRET = "not-the-secret"

    with pytest.raises(SmsRefused, match="SignatureDoesNotMatch"):
        get_backend().send(message())
    assert aliyun.messages == []


def test_an_unknown_access_key_is_refused_for_good(aliyun, settings) -> None:
    settings.ALIBABA_SMS_ACCESS_KEY_ID = "LTAI-nobody"

    with pytest.raises(SmsRefused, match=r"InvalidAccessKeyId\.NotFound"):
        get_backend().send(message())


def test_flow_control_on_one_number_is_a_try_to_repeat_later(aliyun) -> None:
    get_backend().send(message())

    with pytest.raises(SmsError, match=r"isv\.BUSINESS_LIMIT_CONTROL") as raised:
        get_backend().send(message())
    assert not isinstance(raised.value, SmsRefused)
    assert len(aliyun.messages) == 1


def test_an_illegal_number_is_refused_for_good(aliyun) -> None:
    with pytest.raises(SmsRefused, match=r"isv\.MOBILE_NUMBER_ILLEGAL"):
        get_backend().send(message(phone="12345"))


def test_no_answer_is_a_try_to_repeat_later(aliyun, settings) -> None:
    settings.ALIBABA_SMS_ENDPOINT = "127.0.0.1:9"  # discard: nothing listens

    with pytest.raises(SmsError, match="did not answer"):
        get_backend().send(message())
