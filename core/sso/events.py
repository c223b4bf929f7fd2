"""Authentication events: login, logout, failures, rejected tokens, denied access.

One logger, ``msh.auth``; a line carries the event, the realm, the platform user id and a
reason code — never a name, an e-mail, a SNILS, a username or a token.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("msh.auth")

_WARNINGS = {"login_failed", "token_rejected", "access_denied", "backchannel_rejected"}


def auth_event(
    event: str, *, realm: str = "", user_id: int | None = None, reason: str = "", path: str = ""
) -> None:
    level = logging.WARNING if event in _WARNINGS else logging.INFO
    parts = [f"auth {event}", f"realm={realm or '-'}", f"user={user_id if user_id is not None else '-'}"]
    if reason:
        parts.append(f"reason={reason}")
    if path:
        parts.append(f"path={path}")
    logger.log(level, " ".join(parts))
