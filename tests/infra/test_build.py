"""Building for real: the layers through local bundling (no Docker), and a synth through the pinned CDK CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.synth import INFRA_MARKS, PROJECT_ROOT, Synth, synthesize

pytestmark = INFRA_MARKS

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
ELF_MACHINE_AARCH64 = 0xB7


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _staged_asset(synth: Synth, s3_key: dict[str, object]) -> Path:
    """The cloud assembly folder of the asset a Code/Content property points at."""
    asset_hash = str(s3_key["S3Key"]).removesuffix(".zip")
    manifest = json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())
    return synth.outdir / manifest["files"][asset_hash]["source"]["path"]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """A full synth that runs the local bundling; the dependency build is cached under .build/."""
    return synthesize(tmp_path_factory.mktemp("cdk-bundled"), {}, bundle=True)


@pytest.mark.slow
def test_function_and_layers_fit_lambdas_unzipped_limit(bundled: Synth) -> None:
    assert bundled.validation_error is None
    for handler in (bundled.stack.api.handler, bundled.stack.ingest.handler):
        props = bundled.resources[bundled.logical_id(handler.function)]["Properties"]
        parts = [_staged_asset(bundled, props["Code"])] + [
            _staged_asset(bundled, bundled.resources[layer["Ref"]]["Properties"]["Content"])
            for layer in props["Layers"]
        ]
        total = sum(_size(part) for part in parts)
        print(f"{handler.node.path}: {total / 1024**2:.1f} MB unzipped (function + layers)")
        assert total < LAMBDA_UNZIPPED_LIMIT


@pytest.mark.slow
def test_dependency_layer_holds_arm64_wheels_without_the_runtimes_sdk(bundled: Synth) -> None:
    layer = bundled.resources[bundled.logical_id(bundled.stack.layers.dependencies)]
    site = _staged_asset(bundled, layer["Properties"]["Content"]) / "python"
    (binary,) = (site / "pydantic_core").glob("_pydantic_core*.so")
    assert "aarch64" in binary.name
    header = binary.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64
    assert "cpython-312" in binary.name
    for provided in ("boto3", "botocore", "s3transfer"):
        assert not (site / provided).exists()
    for package in ("aws_lambda_powertools", "pydantic", "pydantic_settings", "pynamodb"):
        assert (site / package / "__init__.py").is_file()
    assert not list(site.rglob("__pycache__"))


@pytest.mark.slow
def test_library_layer_is_the_dam_package_under_python(bundled: Synth) -> None:
    layer = bundled.resources[bundled.logical_id(bundled.stack.layers.library)]
    root = _staged_asset(bundled, layer["Properties"]["Content"])
    assert [p.name for p in root.iterdir()] == ["python"]
    assert (root / "python" / "dam" / "__init__.py").is_file()
    assert (root / "python" / "dam" / "adapters" / "dynamodb" / "schema.py").is_file()
    assert not list(root.rglob("__pycache__"))


@pytest.mark.skipif(
    not (PROJECT_ROOT / "node_modules" / ".bin" / "cdk").exists() or shutil.which("node") is None,
    reason="the pinned CDK CLI is not installed (npm ci)",
)
def test_the_pinned_cdk_cli_synthesizes_the_app(tmp_path: Path) -> None:
    env = {**os.environ, "CDK_HOME": str(tmp_path / "cdk-home"), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    (tmp_path / "cdk-home").mkdir()
    outdir = tmp_path / "cdk.out"
    result = subprocess.run(
        [
            str(PROJECT_ROOT / "node_modules" / ".bin" / "cdk"),
            "synth",
            "--quiet",
            "-c",
            "skip_bundling=true",
            "-o",
            str(outdir),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (outdir / "dam-dev.template.json").is_file()
    assert not list(outdir.glob("asset.*/python")), "skip_bundling=true builds no layer"
