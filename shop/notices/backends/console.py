"""The default: text messages are written to standard output, like Django's console mail."""

import sys
import threading
import uuid

from . import SmsBackend, SmsMessage

_lock = threading.Lock()


class ConsoleSmsBackend(SmsBackend):
    def send(self, message: SmsMessage) -> str:
        with _lock:
            sys.stdout.write(
                f"SMS to {message.phone} ({message.kind}):\n{message.text}\n{'-' * 40}\n"
            )
            sys.stdout.flush()
        return f"console-{uuid.uuid4().hex[:12]}"
