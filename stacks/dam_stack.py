"""The whole DAM backend for one stage, composed of one construct per concern."""

from __future__ import annotations

import os
from typing import Any

from aws_cdk import App, CfnOutput, Environment, Stack, Tags
from constructs import Construct

from stacks.api import Api
from stacks.audit import Audit
from stacks.auth import Auth
from stacks.config import StageConfig
from stacks.ingest import Ingest
from stacks.layers import SharedLayers
from stacks.library_worker import LibraryWorker
from stacks.monitoring import Monitoring
from stacks.nag import acknowledge_findings, add_nag_checks
from stacks.pipeline import Pipeline
from stacks.search import Search
from stacks.storage import Storage
from stacks.web import WebHosting

# Behaviour this app relies on, set in code so `python app.py`, the CLI and the tests all get it.
FEATURE_FLAGS = {
    # Grant S3 log delivery through the log bucket's policy instead of a legacy ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


class DamStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description=f"DAM backend ({config.stage})", **kwargs)
        self.config = config
        if config.skip_bundling:
            # Stack-level context wins over the CLI's, and must be set before any child exists.
            self.node.set_context("aws:cdk:bundling-stacks", [])
        self.storage = Storage(self, "Storage", config=config)
        self.auth = Auth(self, "Auth", config=config)
        # The distribution first: the app client's redirects and the API's and bucket's CORS name its domain.
        self.web = WebHosting(self, "Web", config=config, auth=self.auth, access_logs=self.storage.access_logs_bucket)
        self.auth.add_web_client(self.web.origin)
        self.storage.allow_browser_origin("web-app", self.web.origin)
        self.layers = SharedLayers(self, "Layers")
        self.pipeline = Pipeline(self, "Pipeline", config=config, storage=self.storage, layers=self.layers)
        self.ingest = Ingest(self, "Ingest", config=config, storage=self.storage, layers=self.layers)
        self.api = Api(
            self,
            "Api",
            config=config,
            storage=self.storage,
            auth=self.auth,
            layers=self.layers,
            web_origin=self.web.origin,
        )
        self.web.deploy(api_url=self.api.http_api.api_endpoint, auth=self.auth)
        # The dispatcher starts a run per upload; the API starts re-runs (reanalyze, reprocess).
        for function in (self.ingest.handler, self.api.handler):
            function.function.add_environment("DAM_STATE_MACHINE_ARN", self.pipeline.state_machine.state_machine_arn)
            self.pipeline.grant_start(function.role)
        self.library_worker = LibraryWorker(
            self, "LibraryWorker", config=config, storage=self.storage, layers=self.layers
        )
        self.library_worker.allow_enqueue(self.api.handler)
        self.search = Search(self, "Search", config=config, storage=self.storage, layers=self.layers)
        self.search.allow_queries(self.api.handler)
        self.audit = Audit(self, "Audit", config=config, storage=self.storage, layers=self.layers)
        self.audit.allow_reads(self.api.handler)
        # Last: it finds every function, state machine and dead-letter queue the constructs above made.
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            api=self.api,
            ingest=self.ingest,
            pipeline=self.pipeline,
            search=self.search,
        )

        outputs = {
            "ApiUrl": self.api.url,
            "UserPoolId": self.auth.user_pool.user_pool_id,
            "UserPoolClientId": self.auth.client.user_pool_client_id,
            "MediaBucketName": self.storage.media_bucket.bucket_name,
            "AssetsTableName": self.storage.table("Assets").table_name,
            "PipelineStateMachineArn": self.pipeline.state_machine.state_machine_arn,
            "SearchEndpoint": self.search.endpoint,
            "WebUrl": self.web.origin,
            "HostedUiDomain": self.auth.domain.base_url(),
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
        Tags.of(self).add("project", "dam")
        Tags.of(self).add("stage", config.stage)
        acknowledge_findings(self)


def stack_name(stage: str) -> str:
    return f"dam-{stage}"


def build_app(*, outdir: str | None = None, context: dict[str, Any] | None = None) -> App:
    """The CDK app for the stage in context `stage` (default dev), with cdk-nag's AWS Solutions checks."""
    # The CLI passes its output folder in CDK_OUTDIR; an explicit outdir would override it.
    app = App(
        outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out",
        context={**FEATURE_FLAGS, **(context or {})},
    )
    config = StageConfig.from_context(app.node)
    # Account and region come from the CLI's profile when deploying; synth needs neither.
    env = Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    DamStack(app, stack_name(config.stage), config=config, env=env)
    add_nag_checks(app)
    return app
