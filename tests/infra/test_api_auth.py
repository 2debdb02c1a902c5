"""The HTTP API, its authorizer, and the Cognito user pool it trusts."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.infra.synth import ALARM_TOPIC, INFRA_MARKS, PROJECT_ROOT, Synth

pytestmark = INFRA_MARKS

PROTECTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# "Customize HTTP API access logs" (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables):
# the variables an HTTP API stage accepts. REST API variables ($context.resourcePath, $context.authorize.*) are not
# among them and fail the stage's creation.
HTTP_API_LOGGING_VARIABLES = {
    f"$context.{name}"
    for name in (
        "accountId",
        "apiId",
        "authorizer.error",
        "authorizer.principalId",
        "awsEndpointRequestId",
        "awsEndpointRequestId2",
        "customDomain.basePathMatched",
        "dataProcessed",
        "domainName",
        "domainPrefix",
        "error.message",
        "error.messageString",
        "error.responseType",
        "extendedRequestId",
        "httpMethod",
        "identity.accountId",
        "identity.caller",
        "identity.cognitoAuthenticationProvider",
        "identity.cognitoAuthenticationType",
        "identity.cognitoIdentityId",
        "identity.cognitoIdentityPoolId",
        "identity.principalOrgId",
        "identity.clientCert.clientCertPem",
        "identity.clientCert.subjectDN",
        "identity.clientCert.issuerDN",
        "identity.clientCert.serialNumber",
        "identity.clientCert.validity.notBefore",
        "identity.clientCert.validity.notAfter",
        "identity.sourceIp",
        "identity.user",
        "identity.userAgent",
        "identity.userArn",
        "integration.error",
        "integration.integrationStatus",
        "integration.latency",
        "integration.requestId",
        "integration.status",
        "integrationErrorMessage",
        "integrationLatency",
        "integrationStatus",
        "path",
        "protocol",
        "requestId",
        "requestTime",
        "requestTimeEpoch",
        "responseLatency",
        "responseLength",
        "routeKey",
        "stage",
        "status",
    )
}

ROLES = {"editor", "shoot_lead", "post_lead", "power_user", "admin"}


def _routes(synth: Synth) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["RouteKey"]: r["Properties"] for r in synth.of_type("AWS::ApiGatewayV2::Route").values()}


SHARE_ROUTES = {
    "GET /share/{token}",
    "GET /share/{token}/items/{position}/rendition",
    "POST /share/{token}/items/{position}/decision",
    "POST /share/{token}/items/{position}/comments",
    "GET /share/{token}/items/{position}/comments",
}


def test_routes_and_which_need_a_token(synth: Synth) -> None:
    routes = _routes(synth)
    protected = {f"{method} /{{proxy+}}" for method in PROTECTED_METHODS}
    assert set(routes) == protected | {"GET /health", "GET /openapi.json"} | SHARE_ROUTES
    authorizer_id, _ = synth.one("AWS::ApiGatewayV2::Authorizer")
    for route in protected:
        assert routes[route]["AuthorizationType"] == "JWT"
        assert routes[route]["AuthorizerId"] == {"Ref": authorizer_id}
    for public in ("GET /health", "GET /openapi.json", *SHARE_ROUTES):
        assert routes[public]["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in routes[public]
    (integration,) = synth.of_type("AWS::ApiGatewayV2::Integration").values()
    # One integration: the share routes reach the same function as every other route.
    assert all(routes[key]["Target"] == routes["GET /{proxy+}"]["Target"] for key in SHARE_ROUTES)
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    function_id = synth.logical_id(synth.stack.api.handler.function)
    assert integration["Properties"]["IntegrationUri"] == {"Fn::GetAtt": [function_id, "Arn"]}


def test_browser_preflights_reach_api_gateways_cors_answer_not_the_authorizer(synth: Synth) -> None:
    # With CORS configured, API Gateway answers an OPTIONS preflight itself unless a route matches it: an ANY
    # route (behind the JWT authorizer) would, and the token-less preflight would get 401.
    route_keys = set(_routes(synth))
    assert not [key for key in route_keys if key.startswith(("ANY ", "OPTIONS ")) or key == "$default"]
    _, api = synth.one("AWS::ApiGatewayV2::Api")
    cors = api["Properties"]["CorsConfiguration"]
    assert {key.split(" ")[0] for key in route_keys} <= set(cors["AllowMethods"])


def test_share_link_routes_are_the_ones_the_api_serves_without_a_token_and_the_local_gateway_matches(
    synth: Synth,
) -> None:
    """The outside reviewer's routes reach the function without the authorizer on AWS and locally, and they are
    exactly the resolver's public /share routes (an extra one would be an unauthenticated path to nothing)."""
    from dam.api.app import app
    from dam.api.permissions import policy_of
    from dam_local.resources import ROUTES

    app.include_all_routes()
    served = {
        f"{r.method} {r.path}".replace("<", "{").replace(">", "}")
        for r in app._static_routes + app._dynamic_routes
        if r.path.startswith("/share/") and (policy := policy_of(r)) is not None and policy.public
    }
    assert served == SHARE_ROUTES
    local = {route.route_key for route in ROUTES if not route.authorized and "/share/" in route.route_key}
    assert local == SHARE_ROUTES
    routes = _routes(synth)
    assert {key for key in routes if "/share/" in key} == SHARE_ROUTES


def test_every_sample_api_event_names_a_deployed_route(synth: Synth) -> None:
    routes = set(_routes(synth))
    events = [json.loads(path.read_text()) for path in sorted((PROJECT_ROOT / "events" / "api").glob("*.json"))]
    assert events
    for event in events:
        assert event["routeKey"] == event["requestContext"]["routeKey"]
        assert event["routeKey"] in routes
        assert event["routeKey"].split(" ")[0] == event["requestContext"]["http"]["method"]


def test_access_log_format_uses_http_api_variables_only(synth: Synth) -> None:
    _, stage = synth.one("AWS::ApiGatewayV2::Stage")
    log_format = stage["Properties"]["AccessLogSettings"]["Format"]
    fields = json.loads(log_format)  # one JSON object a line, as CloudWatch Logs Insights reads it
    used = set(re.findall(r"\$context\.[A-Za-z0-9_.]+", log_format))
    assert used == set(fields.values())
    assert used <= HTTP_API_LOGGING_VARIABLES, used - HTTP_API_LOGGING_VARIABLES
    assert {"$context.requestId", "$context.status", "$context.routeKey", "$context.integrationErrorMessage"} <= used


def test_jwt_authorizer_trusts_the_user_pool_and_its_app_client(synth: Synth) -> None:
    _, authorizer = synth.one("AWS::ApiGatewayV2::Authorizer")
    jwt = authorizer["Properties"]["JwtConfiguration"]
    assert jwt["Audience"] == [{"Ref": synth.logical_id(synth.stack.auth.client)}]
    issuer = str(jwt["Issuer"])
    assert "cognito-idp." in issuer
    assert synth.logical_id(synth.stack.auth.user_pool) in issuer
    assert authorizer["Properties"]["IdentitySource"] == ["$request.header.Authorization"]


def test_cors_throttling_and_access_logs(synth: Synth) -> None:
    _, api = synth.one("AWS::ApiGatewayV2::Api")
    cors = api["Properties"]["CorsConfiguration"]
    # The web app's CloudFront origin first (tests/infra/test_web.py), then the configured ones.
    assert cors["AllowOrigins"][1:] == ["http://localhost:5173"]
    allowed = ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Share-Password"]
    assert sorted(cors["AllowHeaders"]) == allowed
    _, stage = synth.one("AWS::ApiGatewayV2::Stage")
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}
    log_group_id = synth.logical_id(synth.stack.api.access_logs)
    assert props["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": [log_group_id, "Arn"]}


def test_user_pool_is_invite_only_with_strong_passwords_and_totp(synth: Synth) -> None:
    _, pool = synth.one("AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"))
    assert props["MfaConfiguration"] == "OPTIONAL"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    custom = {a["Name"]: a for a in props["Schema"] if a.get("AttributeDataType") == "String"}
    assert custom["workspace"]["Mutable"] is False
    assert custom["clients"]["Mutable"] is True


def test_groups_are_the_roles_and_the_external_marker(synth: Synth) -> None:
    groups = {g["Properties"]["GroupName"] for g in synth.of_type("AWS::Cognito::UserPoolGroup").values()}
    assert groups == ROLES | {"external"}


def test_app_client_is_public_srp_or_admin_auth_only_and_cannot_write_its_own_scope(synth: Synth) -> None:
    _, client = synth.one("AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert props["GenerateSecret"] is False
    # No USER_PASSWORD_AUTH: a password reaches Cognito only by SRP, or by an IAM-signed AdminInitiateAuth.
    assert sorted(props["ExplicitAuthFlows"]) == [
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert {"custom:workspace", "custom:clients"} <= set(props["ReadAttributes"])
    assert not [a for a in props["WriteAttributes"] if a.startswith("custom:")]
    # The hosted UI: the authorization code grant only, never the implicit one (tests/infra/test_web.py).
    assert props["AllowedOAuthFlows"] == ["code"]


def test_outputs_name_what_a_client_needs(synth: Synth) -> None:
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId", "MediaBucketName"} <= set(synth.template["Outputs"])


def test_alarms_watch_the_dead_letter_queue_and_errors(synth: Synth) -> None:
    alarms = synth.of_type("AWS::CloudWatch::Alarm").values()
    # Math-expression alarms (the API's 5xx rate) have no single metric.
    metrics = {(a["Properties"].get("Namespace"), a["Properties"].get("MetricName")) for a in alarms}
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in metrics
    assert ("AWS/Lambda", "Errors") in metrics


def test_alarms_notify_the_topic_given_in_context(synth: Synth, prod_synth: Synth) -> None:
    assert all("AlarmActions" not in a["Properties"] for a in synth.of_type("AWS::CloudWatch::Alarm").values())
    prod_alarms = prod_synth.of_type("AWS::CloudWatch::Alarm").values()
    assert all(a["Properties"]["AlarmActions"] == [ALARM_TOPIC] for a in prod_alarms)
