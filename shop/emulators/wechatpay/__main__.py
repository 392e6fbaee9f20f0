"""`python -m shop.emulators.wechatpay --port 8101`: the WeChat Pay emulator over HTTP.

Keys live in --key-dir (made on first start): the shop reads the merchant private key
and the platform certificate / public key from there (see the README). The ids and the
APIv3 key come from flags or the same WECHATPAY_* environment variables the shop reads.
"""

import argparse
import os
import shlex
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import WeChatPayEmulator
from .keys import MERCHANT_KEY, PLATFORM_CERT, PLATFORM_PUBLIC_KEY, load_or_create


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"wechatpay-emulator {self.address_string()} {format % args}\n")


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m shop.emulators.wechatpay")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--key-dir", default=env("WECHATPAY_EMULATOR_KEY_DIR", "var/wechatpay"))
    parser.add_argument("--mchid", default=env("WECHATPAY_MCHID", "1900000001"))
    parser.add_argument("--appid", default=env("WECHATPAY_APPID", "wx0000000000emulat"))
    parser.add_argument("--app-secret", default=env("WECHATPAY_APP_SECRET", "emulator-app-secret"))
    parser.add_argument(
        "--apiv3-key", default=env("WECHATPAY_APIV3_KEY", "emulator-apiv3-key-32-bytes-long")
    )
    parser.add_argument(
        "--keys-only",
        action="store_true",
        help="write the keys, and shop.env (the shop's WECHATPAY_* settings for them), and exit",
    )
    args = parser.parse_args(argv)
    if len(args.apiv3_key.encode()) != 32:
        parser.error("the APIv3 key is 32 bytes")
    key_dir = Path(args.key_dir).resolve()
    keys = load_or_create(key_dir)
    base_url = f"http://{args.host}:{args.port}"
    if args.keys_only:
        shop_env = {
            "WECHATPAY_MCHID": args.mchid,
            "WECHATPAY_APPID": args.appid,
            "WECHATPAY_APP_SECRET": args.app_secret,
            "WECHATPAY_APIV3_KEY": args.apiv3_key,
            "WECHATPAY_CERT_SERIAL_NO": keys.merchant_serial,
            "WECHATPAY_PRIVATE_KEY_PATH": key_dir / MERCHANT_KEY,
            "WECHATPAY_PLATFORM_CERT_PATH": key_dir / PLATFORM_CERT,
            "WECHATPAY_PUBLIC_KEY_PATH": key_dir / PLATFORM_PUBLIC_KEY,
            "WECHATPAY_PUBLIC_KEY_ID": keys.public_key_id,
            "WECHATPAY_API_BASE": base_url,
            "WECHATPAY_OAUTH_BASE": base_url,
            "WECHATPAY_SNS_BASE": base_url,
        }
        lines = [f"{name}={shlex.quote(str(value))}" for name, value in shop_env.items()]
        (key_dir / "shop.env").write_text("\n".join(lines) + "\n")
        print(f"WeChat Pay emulator keys and settings in {key_dir}")
        return
    app = WeChatPayEmulator(
        keys=keys,
        mchid=args.mchid,
        appid=args.appid,
        apiv3_key=args.apiv3_key,
        app_secret=args.app_secret,
        base_url=base_url,
    )
    server = make_server(args.host, args.port, app, ThreadingServer, QuietHandler)
    print(f"WeChat Pay emulator on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
