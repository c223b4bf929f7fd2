"""Authentication events: login, logout, failures, rejected tokens, denied access.

One logger, ``msh.auth``; a line carries the event, the realm, the platform user id and a
reason code — never a name, an e-mail, a SNILS, a username or a token.

The path and the reason can come from the request (a URL segment, the identity provider's
``error`` parameter), so they are written so that they cannot end the line or add a field: the
path percent-encoded, the reason reduced to a code of letters, digits and ``_.:=-``. Otherwise a
request for ``/api/v1/journal/x%0A… auth login … user=1/1/1/`` with any bearer token would forge a
login line.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

logger = logging.getLogger("msh.auth")

_WARNINGS = {"login_failed", "token_rejected", "access_denied", "backchannel_rejected"}
_NOT_CODE = re.compile(r"[^A-Za-z0-9_.:=-]")


def _code(value: str) -> str:
    return _NOT_CODE.sub("_", value)[:80]


def auth_event(
    event: str, *, realm: str = "", user_id: int | None = None, reason: str = "", path: str = ""
) -> None:
    level = logging.WARNING if event in _WARNINGS else logging.INFO
    parts = [
        f"auth {_code(event)}",
        f"realm={_code(realm) or '-'}",
        f"user={int(user_id) if user_id is not None else '-'}",
    ]
    if reason:
        parts.append(f"reason={_code(reason)}")
    if path:
        # "%" too: an encoded path is not decoded by whoever reads the log
        parts.append(f"path={quote(path[:300], safe='/')}")
    logger.log(level, " ".join(parts))
