# The provider emulators, one process each for the session (tests/wechatpay.py, tests/alipay.py).
from tests.alipay import alipay_emulator, alipay_gateway, alipay_settings  # noqa: F401 (fixtures)
from tests.wechatpay import wechatpay_emulator, wechatpay_settings  # noqa: F401 (fixtures)
