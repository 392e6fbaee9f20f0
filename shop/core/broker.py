"""kombu's filesystem transport, made safe for a worker and a web process side by side.

The stock transport creates a message file under its final name and only then writes it,
while a consumer takes any file with that name: a worker that takes it between the two
reads an empty file, dies on the JSON error and loses the message (the publisher goes on
writing into a file already taken). Here a message is written under a name no consumer
looks at and renamed into the queue folder whole, and a consumer claims a file by renaming
it into the processed folder on the same filesystem, so exactly one consumer gets it and
never half of it.
"""

import os
import uuid
from pathlib import Path
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.transport.virtual import Empty
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

WRITING_SUFFIX = ".writing"


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: dict, **kwargs: object) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = Path(self.data_folder_out) / name
        partial = final.with_name(name + WRITING_SUFFIX)
        try:
            partial.write_bytes(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str) -> dict:
        wanted = f"{queue}.msg"
        processed = Path(self.processed_folder)
        processed.mkdir(parents=True, exist_ok=True)
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = processed / name
            try:
                os.rename(Path(self.data_folder_in) / name, claimed)
            except OSError:
                continue  # another consumer claimed it first
            try:
                payload = claimed.read_bytes()
                if not self.store_processed:
                    claimed.unlink()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {claimed!r} from queue.") from exc
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
