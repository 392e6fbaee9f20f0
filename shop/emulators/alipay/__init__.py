"""An emulator of the Alipay open platform gateway (openapi.alipay.com/gateway.do).

Run it with `python -m shop.emulators.alipay --port 8110 --keys-dir var/alipay`.
"""
