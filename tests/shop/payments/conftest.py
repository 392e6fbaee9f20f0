# The WeChat Pay emulator, one process for the session (tests/wechatpay.py).
from tests.wechatpay import wechatpay_emulator, wechatpay_settings  # noqa: F401 (fixtures)
