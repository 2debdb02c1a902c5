"""The web app on CloudFront: each fact below is checked against the AWS documentation (cited per test).

- OAC: "Restrict access to an Amazon S3 origin" (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/
  private-content-restricting-access-to-s3.html): the bucket policy allows the `cloudfront.amazonaws.com` service
  principal with `AWS:SourceArn` of the distribution; the origin has `OriginAccessControlId` and an empty OAI.
- S3 answers a missing object 403 unless the caller may s3:ListBucket, then 404 (S3 User Guide, GetObject).
- The managed CachingOptimized policy (id 658327ea-f89d-4fab-a63d-7e88639e58f6) puts no query string or cookie in
  the cache key, so none is forwarded to the origin ("Use managed cache policies").
- CloudFront Functions: `cloudfront-js-2.0`, a `viewer-request` association, `handler(event)` returning the request.
- Response headers policy: the security headers config (HSTS with max-age/includeSubdomains/preload, CSP,
  X-Content-Type-Options nosniff, X-Frame-Options, Referrer-Policy), each with Override.
- Cognito: PKCE works with the authorization code grant of a public client (no secret); S256 is the only
  method ("Using PKCE in authorization code grants"); callback URLs must be HTTPS except http://localhost.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from stacks.web import HSTS_SECONDS, IMMUTABLE, WEB_ROOT
from tests.infra.synth import INFRA_MARKS, Synth

pytestmark = INFRA_MARKS

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _distribution(synth: Synth) -> tuple[str, dict[str, Any]]:
    logical_id, resource = synth.one("AWS::CloudFront::Distribution")
    return logical_id, resource["Properties"]["DistributionConfig"]


def _web_origin(synth: Synth) -> dict[str, Any]:
    distribution_id, _ = _distribution(synth)
    return {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}


def _joined(value: Any) -> str:
    """A Fn::Join as text, each reference written as <LogicalId> or <LogicalId.Attr>."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(_joined(part) for part in value["Fn::Join"][1])
    if "Ref" in value:
        return f"<{value['Ref']}>"
    return "<{}>".format(".".join(value["Fn::GetAtt"]))


def _deployments(synth: Synth) -> dict[str, dict[str, Any]]:
    found = synth.of_type("Custom::CDKBucketDeployment")
    return {
        synth.path(k).split("/")[2]: {**r["Properties"], "DependsOn": r.get("DependsOn", [])} for k, r in found.items()
    }


def test_the_bucket_is_private_and_read_by_this_distribution_only_through_oac(synth: Synth) -> None:
    bucket_id = synth.logical_id(synth.stack.web.bucket)
    bucket = synth.resources[bucket_id]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "web/"
    distribution_id, config = _distribution(synth)
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    oac_id, oac = synth.one("AWS::CloudFront::OriginAccessControl")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert oac["Properties"]["OriginAccessControlConfig"] | {"Name": None} == {
        "Name": None,
        "OriginAccessControlOriginType": "s3",
        "SigningBehavior": "always",
        "SigningProtocol": "sigv4",
    }
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    (cloudfront,) = [s for s in policy if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}]
    # ListBucket too: without it S3 answers a missing file 403, not 404.
    assert sorted(cloudfront["Action"]) == ["s3:GetObject", "s3:ListBucket"]
    assert _joined(cloudfront["Condition"]["StringEquals"]["AWS:SourceArn"]).endswith(
        f":distribution/<{distribution_id}>"
    )
    assert cloudfront["Effect"] == "Allow"


def test_viewers_get_https_get_and_head_only_and_no_query_string_reaches_s3(synth: Synth) -> None:
    _, config = _distribution(synth)
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["CachePolicyId"] == CACHING_OPTIMIZED
    assert config["DefaultRootObject"] == "index.html"
    assert "CacheBehaviors" not in config  # one behavior: everything below holds for every path


def test_the_router_is_a_js_2_viewer_request_function(synth: Synth) -> None:
    function_id, function = synth.one("AWS::CloudFront::Function")
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["Properties"]["AutoPublish"] is True
    _, config = _distribution(synth)
    assert config["DefaultCacheBehavior"]["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}}
    ]
    assert "CustomErrorResponses" not in config  # a missing file is a 404, not the app


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the function's code")
@pytest.mark.parametrize(
    ("uri", "served"),
    [
        ("/", "/index.html"),
        ("/projects", "/index.html"),
        ("/projects/p1/", "/index.html"),
        ("/library/a-folder", "/index.html"),
        ("/index.html", "/index.html"),
        ("/config.json", "/config.json"),
        ("/static/index-LORoA822.js", "/static/index-LORoA822.js"),
        ("/static/missing.css", "/static/missing.css"),  # S3 answers 404
        ("/favicon.ico", "/favicon.ico"),
    ],
)
def test_client_routes_get_index_html_and_files_go_to_s3_as_asked(synth: Synth, uri: str, served: str) -> None:
    _, function = synth.one("AWS::CloudFront::Function")
    code = function["Properties"]["FunctionCode"]
    event = {"version": "1.0", "context": {"eventType": "viewer-request"}, "request": {"method": "GET", "uri": uri}}
    script = f"{code}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=30)
    request = json.loads(result.stdout)
    assert request["uri"] == served
    assert request["method"] == "GET"


def test_security_headers(synth: Synth) -> None:
    _, config = _distribution(synth)
    policy_id = config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]["Ref"]
    headers = synth.resources[policy_id]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": HSTS_SECONDS,
        "IncludeSubdomains": True,
        "Preload": True,
        "Override": True,
    }
    assert HSTS_SECONDS >= 365 * 24 * 3600
    assert headers["ContentTypeOptions"] == {"Override": True}  # X-Content-Type-Options: nosniff
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ReferrerPolicy"] == {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": True}
    assert headers["ContentSecurityPolicy"]["Override"] is True


def test_the_content_security_policy_allows_the_api_storage_and_hosted_ui_only(synth: Synth) -> None:
    _, config = _distribution(synth)
    policy_id = config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]["Ref"]
    csp = synth.resources[policy_id]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    text = _joined(csp["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = {name: set(values) for name, *values in (d.split() for d in text.split("; "))}
    domain = synth.logical_id(synth.stack.auth.domain)
    storage = {"https://*.s3.amazonaws.com", "https://*.s3.<AWS::Region>.amazonaws.com"}
    assert directives["default-src"] == {"'self'"}
    assert directives["script-src"] == {"'self'"}
    assert directives["frame-ancestors"] == {"'none'"}
    assert directives["object-src"] == {"'none'"}
    assert directives["connect-src"] == {
        "'self'",
        "https://*.execute-api.<AWS::Region>.amazonaws.com",
        f"https://<{domain}>.auth.<AWS::Region>.amazoncognito.com",
        *storage,
    }
    assert directives["img-src"] == {"'self'", "data:", "blob:", *storage}
    assert directives["frame-src"] == storage  # the PDF viewer


def test_the_build_is_deployed_with_caching_by_kind_and_the_cache_cleared(synth: Synth) -> None:
    deployments = _deployments(synth)
    static, shell = deployments["Static"], deployments["Shell"]
    bucket = {"Ref": synth.logical_id(synth.stack.web.bucket)}
    assert static["DestinationBucketName"] == shell["DestinationBucketName"] == bucket
    assert (static["Exclude"], static["Include"], static["Prune"]) == (["*"], ["static/*"], False)
    assert static["SystemMetadata"] == {"cache-control": IMMUTABLE}
    assert shell["Exclude"] == ["static/*"]  # nor pruned by it
    assert shell["SystemMetadata"] == {"cache-control": "no-cache"}
    distribution_id, _ = _distribution(synth)
    assert shell["DistributionId"] == {"Ref": distribution_id}
    assert shell["DistributionPaths"] == ["/*"]
    assert any(d.startswith("WebStaticCustomResource") for d in shell["DependsOn"])  # static/ files first


def test_config_json_carries_the_api_url_and_cognito_settings_resolved_at_deploy(synth: Synth) -> None:
    shell = _deployments(synth)["Shell"]
    markers = {name: _joined(value) for entry in shell["SourceMarkers"] for name, value in entry.items()}
    api = synth.logical_id(synth.stack.api.http_api)
    pool = synth.logical_id(synth.stack.auth.user_pool)
    client = synth.logical_id(synth.stack.auth.client)
    domain = synth.logical_id(synth.stack.auth.domain)
    assert set(markers.values()) == {
        f'"<{api}.ApiEndpoint>"',
        '"<AWS::Region>"',
        f'"<{pool}>"',
        f'"<{client}>"',
        f'"https://<{domain}>.auth.<AWS::Region>.amazoncognito.com"',
    }
    settings = synth.stack.web.config_settings
    assert settings["auth"] == "cognito" and set(settings["cognito"]) == {"region", "userPoolId", "clientId", "domain"}


def test_the_api_and_the_media_bucket_let_the_web_app_call_them(synth: Synth) -> None:
    _, api = synth.one("AWS::ApiGatewayV2::Api")
    assert api["Properties"]["CorsConfiguration"]["AllowOrigins"] == [_web_origin(synth), "http://localhost:5173"]
    media = synth.properties(synth.stack.storage.media_bucket)
    rules = {rule["Id"]: rule for rule in media["CorsConfiguration"]["CorsRules"]}
    assert rules["web-app"]["AllowedOrigins"] == [_web_origin(synth)]
    assert sorted(rules["web-app"]["AllowedMethods"]) == ["GET", "HEAD", "POST", "PUT"]
    assert rules["web-app"]["ExposedHeaders"] == ["ETag"]


def test_the_web_client_signs_in_through_the_hosted_ui_with_the_code_grant(synth: Synth) -> None:
    client = synth.properties(synth.stack.auth.client)
    assert client["GenerateSecret"] is False  # a public client: PKCE instead of a secret
    assert client["AllowedOAuthFlows"] == ["code"]  # no implicit grant
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert "openid" in client["AllowedOAuthScopes"]
    web = {"Fn::Join": ["", [*_web_origin(synth)["Fn::Join"][1], "/"]]}
    assert client["CallbackURLs"] == client["LogoutURLs"] == [web, "http://localhost:5173/"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    _, domain = synth.one("AWS::Cognito::UserPoolDomain")
    assert domain["Properties"]["UserPoolId"] == {"Ref": synth.logical_id(synth.stack.auth.user_pool)}
    assert _joined(domain["Properties"]["Domain"]) == "dam-dev-<AWS::AccountId>"


def test_prod_redirects_to_its_configured_origin_too(prod_synth: Synth) -> None:
    client = prod_synth.properties(prod_synth.stack.auth.client)
    assert client["CallbackURLs"][1:] == ["https://dam.example.com/"]
    # The bucket holds a build, deployed again from the repository: it goes with the stack, prod included.
    assert prod_synth.resources[prod_synth.logical_id(prod_synth.stack.web.bucket)]["DeletionPolicy"] == "Delete"


def test_the_stack_outputs_the_web_url_and_hosted_ui(synth: Synth) -> None:
    outputs = synth.template["Outputs"]
    assert outputs["WebUrl"]["Value"] == _web_origin(synth)
    assert _joined(outputs["HostedUiDomain"]["Value"]).endswith(".amazoncognito.com")


def test_a_template_only_synth_needs_no_web_build(synth: Synth) -> None:
    """With bundling skipped CDK neither runs `make web` nor reads web/dist: the asset is web/ itself, named by
    its construct (so the template is the same with or without a build); a real synth bundles dist/."""
    manifest = json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())
    build_key = _deployments(synth)["Shell"]["SourceObjectKeys"][0].removesuffix(".zip")
    assert manifest["files"][build_key]["source"]["path"] == str(WEB_ROOT)
