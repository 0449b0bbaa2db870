"""A file someone sent, as services take it: its name, its size and a stream of its bytes.

The web layer builds one from the framework's upload (``ipoc.web.forms.as_upload``), the demo loader from bytes
(``Upload.of_bytes``), so no service depends on a web framework's types."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Upload:
    name: str  # the file's name as sent; "" when the sender chose no file
    size: int | None  # its length in bytes when the sender said; services count what they read in any case
    stream: BinaryIO  # read synchronously: services run in the thread pool, never on the event loop

    @classmethod
    def of_bytes(cls, name: str, data: bytes) -> Upload:
        return cls(name, len(data), io.BytesIO(data))
