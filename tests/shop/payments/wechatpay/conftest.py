from tests.wechatpay import wechatpay_emulator, wechatpay_settings  # noqa: F401 (fixtures)
