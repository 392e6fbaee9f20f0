"""The partners' webhook receiver: `python -m tests.scale.receiver <port> <file>`.

Answers every POST 200 and appends one JSON line per delivery received (the path, so
which endpoint, and the event's id and type), so the campaign can count deliveries per
endpoint and event id afterwards. GET / answers 200: the campaign's readiness probe.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    log_file = ""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        line = json.dumps({"path": self.path, "id": body["id"], "type": body["type"]})
        with _lock, open(self.log_file, "a") as out:
            out.write(line + "\n")
        self._answer()

    def _answer(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the deliveries' file is the record."""


def main() -> None:
    Receiver.log_file = sys.argv[2]
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()


if __name__ == "__main__":
    main()
