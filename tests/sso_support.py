"""The development identity provider (deploy/dev-idp) as a test fixture, and a browser that
signs in through it.

``dev_idp`` starts the real Node process on a free loopback port (once per session), points the
settings at it, and provisions the realms of both test regions and the federal realm through
the platform's own Keycloak adapter. Back-channel logout requests that the identity provider
sends to a region's site land in a small loopback HTTP server (``BackchannelInbox``), whose port
is the sites' port (``SITE_PORT``); tests hand them to Django's test client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import pytest
import requests

IDP_DIR = Path(__file__).resolve().parent.parent / "deploy" / "dev-idp"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_node() -> str:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        message = "node/npm не найдены: нужен для сервера входа разработки (deploy/dev-idp)"
        if IN_CI:
            pytest.fail(f"{message}: в CI обязателен")
        pytest.skip(message)
    return node


def npm_install() -> None:
    """``npm ci`` when node_modules is missing or older than the lockfile."""
    marker = IDP_DIR / "node_modules" / ".package-lock.json"
    lock = IDP_DIR / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=IDP_DIR, check=True, timeout=300
    )


class _Inbox(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self.server.received.append((self.path, self.headers.get("Host"), body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


class BackchannelInbox:
    """Loopback HTTP server standing in for the platform's public address: it keeps what the
    identity provider POSTs (back-channel logout tokens)."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Inbox)
        self.server.received = []  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def received(self) -> list[tuple[str, str, str]]:
        return self.server.received  # type: ignore[attr-defined]

    def wait(self, count: int, timeout: float = 5) -> list[tuple[str, str, str]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class DevIdp:
    url: str
    process: subprocess.Popen
    inbox: BackchannelInbox
    state_file: Path
    _admin_token: str = ""
    passwords: dict[str, str] = field(default_factory=dict)

    def admin_headers(self) -> dict[str, str]:
        if not self._admin_token:
            response = requests.post(
                f"{self.url}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": "admin",
                    "password": "admin",
                },
                timeout=10,
            )
            response.raise_for_status()
            self._admin_token = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._admin_token}"}

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.url}/admin/realms/{path}", headers=self.admin_headers(), timeout=10, **kwargs
        )

    def rotate_keys(self, realm: str) -> str:
        response = requests.post(
            f"{self.url}/admin/dev/realms/{realm}/rotate-keys", headers=self.admin_headers(), timeout=10
        )
        response.raise_for_status()
        return response.json()["kid"]

    def sign_in(self, browser: requests.Session, authorize_url: str, username: str, password: str) -> str:
        """Follow an authorization request through the login page; the URL the identity provider
        finally redirects the browser to (the site's callback) is returned."""
        response = browser.get(authorize_url, allow_redirects=False, timeout=10)
        for _ in range(10):
            if response.status_code in (301, 302, 303):
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.url):
                    return location
                response = browser.get(location, allow_redirects=False, timeout=10)
                continue
            form = re.search(r'<form method="post" action="([^"]+)"', response.text)
            if not form:
                raise AssertionError(
                    f"no login form at {response.url}: {response.status_code} {response.text[:300]}"
                )
            response = browser.post(
                urljoin(self.url, form.group(1)),
                data={"username": username, "password": password},
                allow_redirects=False,
                timeout=10,
            )
            if response.status_code == 200:
                raise AssertionError(
                    "login refused: " + (re.search(r'class="error">([^<]+)', response.text) or [""])[0]
                )
        raise AssertionError("too many redirects at the identity provider")

    def tokens(
        self, realm: str, client_id: str, secret: str, redirect_uri: str, username: str, password: str
    ) -> dict[str, Any]:
        """Tokens of a user, as the client itself would get them (code flow with PKCE)."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "client_id": client_id,
                "response_type": "code",
                "scope": "openid profile",
                "redirect_uri": redirect_uri,
                "state": secrets.token_urlsafe(8),
                "nonce": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        base = f"{self.url}/realms/{realm}/protocol/openid-connect"
        callback = self.sign_in(requests.Session(), f"{base}/auth?{query}", username, password)
        code = parse_qs(urlparse(callback).query)["code"][0]
        response = requests.post(
            f"{base}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(client_id, secret),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()


def start_dev_idp() -> DevIdp:
    require_node()
    npm_install()
    state_dir = Path(tempfile.mkdtemp(prefix="dev-idp-"))
    state_file = state_dir / "state.json"
    log = (state_dir / "idp.log").open("w")
    process = subprocess.Popen(
        ["node", "server.js"],
        cwd=IDP_DIR,
        env={**os.environ, "DEV_IDP_PORT": "0", "DEV_IDP_STATE": str(state_file)},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        process.kill()
        raise AssertionError(f"dev-idp did not start: {line!r} {(state_dir / 'idp.log').read_text()}")
    return DevIdp(url=match.group(1), process=process, inbox=BackchannelInbox(), state_file=state_file)


def stop_dev_idp(idp: DevIdp) -> None:
    idp.inbox.close()
    idp.process.terminate()
    try:
        idp.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        idp.process.kill()
    shutil.rmtree(idp.state_file.parent, ignore_errors=True)


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def part(value: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))

    header, payload, _ = token.split(".")
    return part(header), part(payload)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
