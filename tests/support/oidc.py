"""OpenID Providers for the tests: the real one (node-oidc-provider, scripts/dev_oidc_provider.mjs) on
loopback, a small forging one for id_tokens that no honest provider issues, and a driver of the code
flow that plays the browser between the test client and the provider."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request, Response

from academy.config import OidcProviderSettings

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "dev_oidc_provider.mjs"
CLIENT_ID = "academy-test"
CLIENT_SECRET = "academy-test-secret"
API_KEY = "thaid-api-key-for-tests"


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen[str]


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs node and node_modules/oidc-provider (make install) for the OpenID Provider")
        pytest.skip("node and node_modules/oidc-provider are needed (make install)")
    return node


@contextmanager
def node_provider(
    folder: Path,
    *,
    base_url: str,
    name: str = "thaid",
    id_claim: str = "pid",
    accounts: dict[str, dict[str, Any]],
    token_headers: dict[str, str] | None = None,
) -> Iterator[RunningProvider]:
    """Start the project's node-oidc-provider on a free loopback port; stop it afterwards."""
    node = node_or_skip()
    config = {
        "name": f"{name} (test)",
        "id_claim": id_claim,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{base_url}/login/oidc/{name}/callback"],
                "post_logout_redirect_uris": [f"{base_url}/login"],
            }
        ],
        "token_headers": token_headers or {},
        "accounts": accounts,
    }
    path = folder / f"{name}-provider.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    process = subprocess.Popen(
        [node, str(SCRIPT), str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the OpenID Provider did not start (exit code {process.wait(10)})")
        yield RunningProvider(issuer=json.loads(line)["issuer"], process=process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def provider_settings(issuer: str, name: str = "thaid", **fields: Any) -> OidcProviderSettings:
    defaults: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": ("openid", "pid", "given_name", "family_name"),
        "id_claim": "pid",
        "label_th": "ThaID",
        "label_en": "ThaID",
        "timeout": 5.0,
    }
    return OidcProviderSettings(name=name, issuer=issuer, **{**defaults, **fields})


# --- playing the browser -------------------------------------------------------------------------


@dataclass
class Browser:
    """The test client for the platform, a requests session for the provider, redirects followed between them."""

    client: FlaskClient
    base_url: str
    http: requests.Session = field(default_factory=requests.Session)
    #: The callback URL the provider sent the browser to, last time (to replay it).
    callback: str = ""

    def start(self, path: str) -> str:
        """Open a sign-in path of the platform; return the provider URL it redirects to."""
        response = self.client.get(path)
        assert response.status_code == 302, response.get_data(as_text=True)
        return str(response.headers["Location"])

    def follow_provider(
        self, url: str, *, login: str | None = None, password: str = "", cancel: bool = False
    ) -> TestResponse:
        """Go through the provider's pages (sign in, consent, or cancel) until it sends us back; open that URL."""
        for _step in range(12):
            if url.startswith(self.base_url):
                self.callback = url
                parts = urlsplit(url)
                return self.client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
            response = self.http.get(url, allow_redirects=False, timeout=10)
            while response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                if url.startswith(self.base_url):
                    break
                response = self.http.get(url, allow_redirects=False, timeout=10)
            else:
                page = response.text
                if cancel:
                    abort = re.search(r'href="([^"]*/abort)"', page)
                    assert abort, page
                    url = urljoin(url, abort.group(1))
                    continue
                action = re.search(r'action="([^"]+)"', page)
                assert action, page
                form = {"login": login or "", "password": password} if 'name="login"' in page else {}
                posted = self.http.post(urljoin(url, action.group(1)), data=form, allow_redirects=False, timeout=10)
                assert posted.is_redirect, posted.text
                url = urljoin(url, posted.headers["Location"])
        raise AssertionError("the provider never sent the browser back")

    def sign_in(self, name: str, login: str, password: str = "") -> TestResponse:
        return self.follow_provider(self.start(f"/login/oidc/{name}"), login=login, password=password)

    def replay_callback(self) -> TestResponse:
        parts = urlsplit(self.callback)
        return self.client.get(f"{parts.path}?{parts.query}")


# --- a provider that forges: what a tampered, expired or misdirected id_token looks like --------------


@dataclass
class Forgery:
    """What the forging provider's next id_token looks like (changes to an honest one)."""

    #: Sign with a key that the provider's JWKS does not list (under the listed kid, or another one).
    sign_with_unlisted_key: bool = False
    keep_listed_kid: bool = True
    claims: dict[str, Any] = field(default_factory=dict)


class ForgingProvider:
    """A minimal OpenID Provider (discovery, authorize, token, JWKS) whose id_tokens a test shapes."""

    def __init__(self, base_url: str, subject_claims: dict[str, Any]) -> None:
        self.base_url = base_url
        self.subject_claims = subject_claims
        self.listed = RSAKey.generate_key(2048, parameters={"kid": "listed", "alg": "RS256", "use": "sig"})
        self.unlisted = RSAKey.generate_key(2048, parameters={"kid": "unlisted", "alg": "RS256", "use": "sig"})
        self.forgery = Forgery()
        self.codes: dict[str, dict[str, str]] = {}
        self.jwks_requests = 0
        self.discovery_requests = 0
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ForgingProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(10)
        self._server.server_close()

    @Request.application  # type: ignore[arg-type]
    def _wsgi(self, request: Request) -> Response:
        if request.path == "/.well-known/openid-configuration":
            self.discovery_requests += 1
            return self._json(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "subject_types_supported": ["public"],
                }
            )
        if request.path == "/jwks":
            self.jwks_requests += 1
            return self._json(KeySet([self.listed]).as_dict(private=False))
        if request.path == "/authorize":
            code = f"code-{len(self.codes)}"
            self.codes[code] = {"nonce": request.args.get("nonce", ""), "client_id": request.args["client_id"]}
            query = urlencode({"code": code, "state": request.args["state"]})
            return Response(status=302, headers={"Location": f"{request.args['redirect_uri']}?{query}"})
        if request.path == "/token" and request.method == "POST":
            grant = self.codes.pop(request.form.get("code", ""), None)
            if grant is None:
                return self._json({"error": "invalid_grant"}, 400)
            return self._json(
                {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": self._id_token(grant)}
            )
        return Response(status=404)

    def _id_token(self, grant: dict[str, str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": grant["client_id"],
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **self.subject_claims,
            **self.forgery.claims,
        }
        key = self.unlisted if self.forgery.sign_with_unlisted_key else self.listed
        kid = "listed" if self.forgery.keep_listed_kid else str(key.kid)
        return jwt.encode({"alg": "RS256", "kid": kid}, claims, key)

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)
