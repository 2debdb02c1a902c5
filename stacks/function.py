"""One Lambda function the way this project runs them all: Python 3.12 on arm64, both layers, X-Ray,
its own log group with a retention, and a role that starts empty (no AWS managed policies)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, IgnoreMode, Size
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import StageConfig
from stacks.layers import ARCHITECTURE, PROJECT_ROOT, RUNTIME, SharedLayers

FUNCTIONS_ROOT = PROJECT_ROOT / "functions"


class DamFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        layers: SharedLayers,
        folder: str,
        memory_mb: int,
        timeout: Duration,
        environment: dict[str, str],
        description: str,
        handler: str = "handler.handler",
        media: bool = False,
        ephemeral_storage_mb: int = 512,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=config.log_retention, removal_policy=config.removal_policy
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{description} (least privilege; no managed policies)",
        )
        # What AWSLambdaBasicExecutionRole gives, limited to this function's own log group.
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(
                str(Path(FUNCTIONS_ROOT, folder)),
                exclude=["__pycache__/", "*.pyc"],
                ignore_mode=IgnoreMode.GIT,
            ),
            layers=layers.with_media if media else layers.all,
            ephemeral_storage_size=Size.mebibytes(ephemeral_storage_mb),
            memory_size=memory_mb,
            timeout=timeout,
            environment=environment,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
        )
