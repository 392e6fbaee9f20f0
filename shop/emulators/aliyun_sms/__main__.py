"""`python -m shop.emulators.aliyun_sms --port 8120 --access-key-id ID --access-key-secret S
--sign-name 礼物商城 --template SMS_1='…${tracking_url}…'`: Aliyun SMS on loopback."""

import argparse
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import AliyunSmsEmulator


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shop.emulators.aliyun_sms")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--access-key-secret", required=True)
    parser.add_argument("--sign-name", action="append", required=True)
    parser.add_argument("--template", action="append", default=[], help="CODE=text with ${var}")
    parser.add_argument("--per-minute", type=int, default=1)
    args = parser.parse_args(argv)
    emulator = AliyunSmsEmulator(
        access_keys={args.access_key_id: args.access_key_secret},
        sign_names=set(args.sign_name),
        templates=dict(t.split("=", 1) for t in args.template),
        per_minute=args.per_minute,
    )
    server = make_server(
        args.host, args.port, emulator, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    print(f"Aliyun SMS emulator on http://{args.host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
