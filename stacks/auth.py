"""Cognito: who may sign in, which workspace and clients they belong to, and which role (group) they hold.

The API reads `sub`, `custom:workspace`, `custom:clients` and `cognito:groups` from the ID token. Membership
of the `external` group marks a client-side user (see README, "Roles and clients").
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from dam.api.identity import EXTERNAL_GROUP
from dam.domain.identity import Role
from stacks.config import StageConfig

# Lower precedence wins when a user is in several groups; the most powerful role comes first.
_PRECEDENCE = {role: rank for rank, role in enumerate(reversed(list(Role)))}


class Auth(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,  # admins invite users
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={
                # A user never changes workspace; a new workspace means a new user.
                "workspace": cognito.StringAttribute(min_len=1, max_len=64, mutable=False),
                # Comma-separated client ids this user is limited to. Set, or with the user in the `external`
                # group, the user is external: with no clients at all they see shared assets only.
                "clients": cognito.StringAttribute(max_len=2048, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=config.is_production,
            removal_policy=config.removal_policy,
        )
        self.groups = {
            role: cognito.UserPoolGroup(
                self,
                f"Group-{role.value}",
                user_pool=self.user_pool,
                group_name=role.value,
                precedence=_PRECEDENCE[role],
            )
            for role in Role
        }
        # Not a role: the explicit marker of external users (cognito:groups lists every group of a user).
        self.external_group = cognito.UserPoolGroup(
            self,
            "Group-external",
            user_pool=self.user_pool,
            group_name=EXTERNAL_GROUP,
            description="External (client-side) users: they see shared assets and their clients' only",
        )
        # The hosted UI the web app sends people to (authorization code with PKCE). The prefix is global to the
        # region: the stage and the account keep it unique; `-c auth_domain_prefix=…` picks another.
        prefix = self.node.try_get_context("auth_domain_prefix") or f"dam-{config.stage}-{Stack.of(self).account}"
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=str(prefix))
        )
        self.config = config

    def add_web_client(self, web_origin: str) -> cognito.UserPoolClient:
        """The one app client (the API's JWT audience): the web app's hosted-UI sign-in with its redirects to
        `web_origin` (CloudFront) and the configured development origins, SRP, and `dam admin token`."""
        redirects = [f"{origin.rstrip('/')}/" for origin in (web_origin, *self.config.allowed_origins)]
        # Users may read their claims but never write the ones that scope them: with the default
        # (all writable attributes) a user could widen `custom:clients` with their own access token.
        writable = cognito.ClientAttributes().with_standard_attributes(email=True, fullname=True)
        readable = cognito.ClientAttributes().with_standard_attributes(email=True, email_verified=True, fullname=True)
        self.client = self.user_pool.add_client(
            "WebClient",
            generate_secret=False,  # a browser app cannot keep a secret: a public client, so PKCE
            # SRP for the app; ADMIN_USER_PASSWORD_AUTH only for IAM principals allowed AdminInitiateAuth
            # (`dam admin token`: a first sign-in and tokens for the command line on a deployed stack).
            auth_flows=cognito.AuthFlow(user_srp=True, admin_user_password=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
            # The hosted UI: the authorization code grant only (no implicit grant: tokens never ride in a URL).
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=redirects,
                logout_urls=redirects,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            read_attributes=readable.with_custom_attributes("workspace", "clients"),
            write_attributes=writable,
        )
        return self.client
