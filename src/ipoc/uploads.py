"""A file someone sent, as services take it: its name and a stream of its bytes (they count its size as they read).

The web layer builds one from the framework's upload (``ipoc.web.forms.as_upload``), the demo loader from bytes
(``Upload.of_bytes``), so no service depends on a web framework's types."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Upload:
    name: str  # the file's name as sent; "" when the sender chose no file
    stream: BinaryIO  # read synchronously: services run in the thread pool, never on the event loop

    @classmethod
    def of_bytes(cls, name: str, data: bytes) -> Upload:
        return cls(name, io.BytesIO(data))
