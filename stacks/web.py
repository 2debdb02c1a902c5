"""The web app (web/, `make web`) on AWS: a private bucket behind CloudFront with origin access control,
security headers, client routes answered with index.html, and `config.json` written at deploy time with
the API URL and the Cognito settings the app reads when it starts.

Two origins are left as wildcards in the Content-Security-Policy, on purpose: the API's CORS and the media
bucket's CORS must name this distribution's domain, which CloudFront assigns; if the policy (which the
distribution references) named the API or the bucket back, CloudFormation would have a dependency cycle.
So `connect-src`/`img-src` allow this region's `*.execute-api` and `*.s3` hosts, while the two CORS
configurations (what decides which pages may read those responses) name the exact CloudFront origin.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from aws_cdk import Annotations, Aws, BundlingOptions, Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from stacks.auth import Auth
from stacks.config import StageConfig
from stacks.layers import PROJECT_ROOT, UNUSED_IMAGE, LocalBundling

WEB_ROOT = PROJECT_ROOT / "web"
WEB_DIST = WEB_ROOT / "dist"
ROUTER_CODE = Path(__file__).with_name("web_router.js")
CONFIG_KEY = "config.json"
STATIC_PREFIX = "static/"  # vite.config.ts assetsDir: fingerprinted files, cached for a year
HSTS_SECONDS = 2 * 365 * 24 * 3600  # two years, as hstspreload.org asks
DEPLOYMENT_MEMORY_MB = 256  # CDK's sync of a few hundred kB of build; one provider serves both deployments
IMMUTABLE = "public, max-age=31536000, immutable"
# The web sources that decide the build; node_modules and an old dist/ never enter the asset's hash.
_NOT_SOURCES = ["node_modules", "node_modules/**", "dist", "dist/**", "src/lib/api-types.ts"]


def build_web(output_dir: Path) -> None:
    """`make web` (rebuilds only when a source, the lock or openapi.json changed; offline once npm ci ran),
    then web/dist as the asset."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", "web"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not (WEB_DIST / "index.html").is_file():
        raise RuntimeError(f"`make web` failed, so there is no web app to deploy:\n{result.stderr[-4000:]}")
    shutil.copytree(WEB_DIST, output_dir, dirs_exist_ok=True)


def content_security_policy(cognito_origin: str) -> str:
    region = Aws.REGION
    api = f"https://*.execute-api.{region}.amazonaws.com"
    # Presigned URLs: virtual-hosted style, with or without the region in the host.
    storage = f"https://*.s3.amazonaws.com https://*.s3.{region}.amazonaws.com"
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        # Svelte sets element styles (zoom, pan, blurhash backgrounds) at run time.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob: {storage}",
        "media-src": f"'self' blob: {storage}",
        "frame-src": storage,  # the PDF viewer shows the presigned original
        "connect-src": f"'self' {api} {storage} {cognito_origin}",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class WebHosting(Construct):
    """The bucket and the distribution (made before the API, whose CORS names the distribution), then
    `deploy` once the API exists: the build and its config.json."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        auth: Auth,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="web/",
            # A build, deployed again from the repository at any time: it goes with the stack, prod included.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="DAM web app: HSTS, CSP, nosniff, no framing, referrer policy",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(HSTS_SECONDS),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(auth.domain.base_url()),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
                ),
            ),
        )
        self.router = cloudfront.Function(
            self,
            "Router",
            comment="Client routes get index.html; files go to S3 as asked",
            code=cloudfront.FunctionCode.from_file(file_path=str(ROUTER_CODE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"DAM web app ({config.stage})",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=cloudfront.BehaviorOptions(
                # READ and LIST: without s3:ListBucket, S3 answers a missing file 403 instead of 404.
                origin=origins.S3BucketOrigin.with_origin_access_control(
                    self.bucket, origin_access_levels=[cloudfront.AccessLevel.READ, cloudfront.AccessLevel.LIST]
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                # No query string or cookie reaches S3 (so no ?list-type=2 listing through CloudFront).
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                compress=True,
                response_headers_policy=self.headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=self.router, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
        )

        Annotations.of(self.distribution.node.find_child("Origin1")).acknowledge_warning(
            "@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk",
            "default_root_object is index.html, the router sends / and every extension-less path to index.html, "
            "and the cache policy forwards no query string: no request reaches S3 as a listing",
        )

    @property
    def origin(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}"

    def deploy(self, *, api_url: str, auth: Auth) -> None:
        """The build in two parts: fingerprinted static/ files cached for a year (old ones kept for open
        tabs), then index.html and config.json, never cached without revalidation, and the cache cleared."""
        build = s3deploy.Source.asset(
            str(WEB_ROOT),
            exclude=_NOT_SOURCES,
            bundling=BundlingOptions(image=UNUSED_IMAGE, local=LocalBundling(build_web)),
        )
        static = s3deploy.BucketDeployment(
            self,
            "Static",
            destination_bucket=self.bucket,
            sources=[build],
            exclude=["*"],
            include=[f"{STATIC_PREFIX}*"],
            prune=False,
            memory_limit=DEPLOYMENT_MEMORY_MB,
            cache_control=[s3deploy.CacheControl.from_string(IMMUTABLE)],
        )
        settings = {
            "apiUrl": api_url,
            "auth": "cognito",
            "cognito": {
                "region": Aws.REGION,
                "userPoolId": auth.user_pool.user_pool_id,
                "clientId": auth.client.user_pool_client_id,
                "domain": auth.domain.base_url(),
            },
        }
        shell = s3deploy.BucketDeployment(
            self,
            "Shell",
            destination_bucket=self.bucket,
            sources=[build, s3deploy.Source.json_data(CONFIG_KEY, settings)],
            exclude=[f"{STATIC_PREFIX}*"],  # also kept out of its pruning
            memory_limit=DEPLOYMENT_MEMORY_MB,
            cache_control=[s3deploy.CacheControl.no_cache()],
            distribution=self.distribution,
            distribution_paths=["/*"],
        )
        shell.node.add_dependency(static)  # index.html never names a static file not yet uploaded
        self.config_settings = settings
