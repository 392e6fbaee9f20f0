"""For tests: messages are kept in `outbox`, as Django's locmem backend keeps emails."""

from . import SmsBackend, SmsMessage

outbox: list[SmsMessage] = []


class LocmemSmsBackend(SmsBackend):
    def send(self, message: SmsMessage) -> str:
        outbox.append(message)
        return f"locmem-{len(outbox)}"
