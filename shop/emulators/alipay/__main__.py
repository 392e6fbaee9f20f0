"""`python -m shop.emulators.alipay --port 8110 --keys-dir var/alipay`

With `--keys-dir`, the shop's app key pair is made there if missing (app_private.pem for
ALIPAY_PRIVATE_KEY_PATH, app_public.pem, which the emulator verifies our requests with),
and the emulator's own key pair is kept there (alipay_public.pem for
ALIPAY_PUBLIC_KEY_PATH), so restarting it does not change the keys the shop trusts.
Without it, give `--app-public-key`; the emulator then makes a fresh key of its own and
serves its public half at /_emulator/alipay_public_key.
"""

import argparse
import shlex
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from Cryptodome.PublicKey import RSA
from Cryptodome.PublicKey.RSA import RsaKey

from . import signing
from .app import AlipayEmulator


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per request: a deliberately slow answer must not block the others."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)


def _key_pair(directory: Path, name: str) -> RsaKey:
    """The key pair kept as <name>_private.pem / <name>_public.pem, made once."""
    private = directory / f"{name}_private.pem"
    if private.exists():
        key = RSA.import_key(private.read_text())
    else:
        key = signing.new_key()
        private.write_text(signing.private_pem(key))
        private.chmod(0o600)
    (directory / f"{name}_public.pem").write_text(signing.public_pem(key))
    return key


def _write_shop_env(keys_dir: Path, args: argparse.Namespace) -> None:
    """The shop's settings for this emulator, for `make run` to load before it starts (the
    system check wants the keys to exist before the emulator does)."""
    shop_env = {
        "ALIPAY_APP_ID": args.app_id,
        "ALIPAY_PRIVATE_KEY_PATH": keys_dir / "app_private.pem",
        "ALIPAY_PUBLIC_KEY_PATH": keys_dir / "alipay_public.pem",
        "ALIPAY_GATEWAY_URL": f"http://{args.host}:{args.port}/gateway.do",
    }
    lines = [f"{name}={shlex.quote(str(value))}" for name, value in shop_env.items()]
    (keys_dir / "shop.env").write_text("\n".join(lines) + "\n")
    print(f"Alipay emulator keys and settings in {keys_dir}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shop.emulators.alipay")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--app-id", default="2021000000000001")
    parser.add_argument("--keys-dir", type=Path)
    parser.add_argument("--app-public-key", type=Path, help="PEM the shop's requests verify with")
    parser.add_argument("--notify-attempts", type=int, default=3)
    parser.add_argument("--notify-interval", type=float, default=1.0)
    parser.add_argument("--verbose", action="store_true", help="log each request")
    parser.add_argument(
        "--keys-only",
        action="store_true",
        help="write the keys and shop.env (the shop's ALIPAY_* settings for them), and exit",
    )
    args = parser.parse_args(argv)
    if args.keys_dir:
        keys_dir = args.keys_dir.resolve()
        keys_dir.mkdir(parents=True, exist_ok=True)
        app_public = _key_pair(keys_dir, "app").public_key()
        alipay_key = _key_pair(keys_dir, "alipay")
        if args.keys_only:
            _write_shop_env(keys_dir, args)
            return
    elif args.app_public_key:
        app_public = RSA.import_key(args.app_public_key.read_text())
        alipay_key = signing.new_key()
    else:
        parser.error("give --keys-dir or --app-public-key")
    emulator = AlipayEmulator(
        app_id=args.app_id,
        app_public_key=app_public,
        alipay_key=alipay_key,
        notify_attempts=args.notify_attempts,
        notify_interval=args.notify_interval,
    )
    server = make_server(
        args.host, args.port, emulator, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    server.verbose = args.verbose  # type: ignore[attr-defined]
    print(f"Alipay emulator on http://{args.host}:{server.server_port}/gateway.do", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
