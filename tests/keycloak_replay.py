"""Replaying recorded Keycloak Admin REST exchanges.

A recording (``tests/fixtures/keycloak26/*.json``) is a list of request → response pairs with
the shapes Keycloak 26 returns. ``KeycloakReplay`` is a loopback HTTP server that expects the
requests in that order, answers with the recorded responses, and keeps every difference
(method, path, query, JSON body) so a test can assert the adapter sent exactly the recorded
requests — no more, no fewer.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "keycloak26"


def load_exchanges(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["exchanges"]


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        replay: KeycloakReplay = self.server.replay  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        url = urlparse(self.path)
        status, headers, body = replay.answer(self.command, url.path, parse_qs(url.query), raw, self.headers)
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value.replace("{base}", replay.url))
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


class KeycloakReplay:
    def __init__(self, exchanges: list[dict[str, Any]]):
        self.exchanges = list(exchanges)
        self.position = 0
        self.mismatches: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.replay = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, method: str, path: str, query: dict[str, list[str]], raw: str, headers: Any):
        with self.lock:
            if self.position >= len(self.exchanges):
                self.mismatches.append(f"unexpected request {method} {path} {query}")
                return 500, {}, {"error": "unexpected request"}
            exchange = self.exchanges[self.position]
            self.position += 1
        want = exchange["request"]
        where = f"#{self.position} {want['method']} {want['path']}"
        if (method, path) != (want["method"], want["path"]):
            self.mismatches.append(f"{where}: got {method} {path}")
        if {k: v for k, v in query.items()} != {k: [str(x)] for k, x in want.get("query", {}).items()}:
            self.mismatches.append(f"{where}: query {query} != {want.get('query', {})}")
        if "json" in want:
            try:
                got = json.loads(raw) if raw else None
            except ValueError:
                got = raw
            if got != want["json"]:
                self.mismatches.append(f"{where}: body {json.dumps(got, ensure_ascii=False)[:600]}")
        if "form" in want:
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            if form != want["form"]:
                self.mismatches.append(f"{where}: form {form}")
        if want.get("auth") == "bearer" and not str(headers.get("Authorization", "")).startswith("Bearer "):
            self.mismatches.append(f"{where}: no admin bearer token")
        response = exchange["response"]
        return response["status"], response.get("headers", {}), response.get("json")

    def assert_complete(self) -> None:
        missing = [
            f"{e['request']['method']} {e['request']['path']}" for e in self.exchanges[self.position :]
        ]
        assert not self.mismatches, "\n".join(self.mismatches)
        assert not missing, f"recorded requests never sent: {missing}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
