"""Signing in on AWS: with a config.json that names Cognito, the app does the authorization code grant with PKCE
(S256) against the hosted UI. The hosted UI is stubbed here (its authorize, token and logout endpoints), and
the stub checks what Cognito checks: the verifier sent to /oauth2/token hashes to the challenge sent to
/oauth2/authorize ("Using PKCE in authorization code grants", Amazon Cognito Developer Guide)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from dam_local.demo import WORKSPACE
from dam_local.stack import LocalStackProcess

pytestmark = pytest.mark.browser

HOSTED_UI = "https://auth.dam.test"
CLIENT_ID = "web-client-id"
VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 4.1


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


class HostedUi:
    """The three endpoints of Cognito's hosted UI the app calls, recording what it was sent."""

    def __init__(self, page: Page, stack: LocalStackProcess) -> None:
        self.stack = stack
        self.authorize: dict[str, str] = {}
        self.token: dict[str, str] = {}
        self.logout: dict[str, str] = {}
        config = {
            "apiUrl": stack.api_url,
            "auth": "cognito",
            "cognito": {"region": "eu-west-1", "userPoolId": "eu-west-1_x", "clientId": CLIENT_ID, "domain": HOSTED_UI},
        }
        page.route("**/config.json", lambda route: route.fulfill(json=config))
        page.route(f"{HOSTED_UI}/oauth2/authorize?*", self._authorize)
        page.route(f"{HOSTED_UI}/oauth2/token", self._token)
        page.route(f"{HOSTED_UI}/logout?*", self._logout)

    @staticmethod
    def _query(url: str) -> dict[str, str]:
        return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}

    def _authorize(self, route: Route) -> None:
        self.authorize = self._query(route.request.url)
        back = {"code": "the-code", "state": self.authorize["state"]}
        route.fulfill(status=302, headers={"Location": f"{self.authorize['redirect_uri']}?{urlencode(back)}"})

    def _token(self, route: Route) -> None:
        self.token = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
        ok = self.token.get("code") == "the-code" and _s256(self.token.get("code_verifier", "")) == self.authorize.get(
            "code_challenge"
        )
        body: dict[str, Any] = (
            {"id_token": self.stack.token("maya", WORKSPACE, "editor"), "token_type": "Bearer", "expires_in": 3600}
            if ok
            else {"error": "invalid_grant"}
        )
        route.fulfill(
            status=200 if ok else 400,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
        )

    def _logout(self, route: Route) -> None:
        self.logout = self._query(route.request.url)
        route.fulfill(status=200, body="signed out", headers={"Content-Type": "text/plain"})


def test_the_app_signs_in_through_the_hosted_ui_with_pkce_s256(page: Page, web_stack: LocalStackProcess) -> None:
    hosted = HostedUi(page, web_stack)
    page.goto(web_stack.api_url + "/?page=projects")
    expect(page.get_by_label("Token")).to_have_count(0)  # no token form on AWS
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    origin = web_stack.api_url.rstrip("/")
    sent = hosted.authorize
    assert sent["response_type"] == "code"
    assert sent["client_id"] == CLIENT_ID
    assert sent["redirect_uri"] == f"{origin}/"
    assert sent["code_challenge_method"] == "S256"
    assert set(sent["scope"].split()) == {"openid", "email", "profile"}
    verifier = hosted.token["code_verifier"]
    assert VERIFIER.match(verifier) and len(verifier) == 43  # 32 random bytes
    assert _s256(verifier) == sent["code_challenge"]
    assert verifier != sent["code_challenge"]  # S256, not plain
    assert hosted.token["grant_type"] == "authorization_code"
    assert hosted.token["redirect_uri"] == f"{origin}/"
    assert hosted.token["client_id"] == CLIENT_ID
    # Back where the sign-in started, with the code and state gone from the address bar.
    assert page.url == f"{origin}/?page=projects"

    # The ID token signs the API calls: the projects screen loads for maya.
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{HOSTED_UI}/logout?*")
    assert hosted.logout == {"client_id": CLIENT_ID, "logout_uri": f"{origin}/"}


def test_each_sign_in_sends_a_new_verifier(page: Page, web_stack: LocalStackProcess) -> None:
    hosted = HostedUi(page, web_stack)
    challenges = []
    for _ in range(2):
        page.goto(web_stack.api_url + "/")
        page.evaluate("localStorage.clear()")
        page.reload()
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        challenges.append(hosted.authorize["code_challenge"])
    assert challenges[0] != challenges[1]


def test_a_return_this_tab_did_not_start_signs_nobody_in(page: Page, web_stack: LocalStackProcess) -> None:
    hosted = HostedUi(page, web_stack)
    page.goto(web_stack.api_url + "/?code=stolen-code&state=forged")
    expect(page.get_by_role("alert")).to_contain_text("not started here")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert hosted.token == {}  # the code was never redeemed
    assert "code=" not in page.url


def test_without_config_json_the_local_token_form_stays(page: Page, web_stack: LocalStackProcess) -> None:
    page.goto(web_stack.api_url + "/")
    expect(page.get_by_label("Token")).to_be_visible()
