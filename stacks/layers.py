"""The two layers every function gets, built on this machine with pip and file copies (never Docker).

- library: the project's own package `layers/dam/dam`, as `python/dam` in the layer;
- dependencies: the pinned third-party wheels for Lambda's platform (Python 3.12, arm64), a closed set: boto3 and
  botocore included, so the runtime's own SDK never runs against the layer's urllib3, dateutil or jmespath.

Every layer ships its bytecode, compiled by a Python of Lambda's version: /opt is read-only on Lambda, so a layer
without it compiles every module it imports from source at each cold start (about 1.1 s more for `import boto3`
alone, measured here). The bytecode is hash-based and unchecked: CDK zips assets with one fixed timestamp, which
timestamp-checked bytecode would never match, and a layer's sources never change after it is built.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, IgnoreMode, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LIBRARY_ROOT = PROJECT_ROOT / "layers" / "dam"
DEPENDENCIES_ROOT = PROJECT_ROOT / "layers" / "dependencies"
REQUIREMENTS = DEPENDENCIES_ROOT / "requirements.txt"
MEDIA_ROOT = PROJECT_ROOT / "layers" / "media"
MEDIA_REQUIREMENTS = MEDIA_ROOT / "requirements.txt"
DEFAULT_CACHE = PROJECT_ROOT / ".build" / "dependency-layer"

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
# The wheels must match the runtime and architecture above, not this machine. Lambda's python3.12 runs on
# Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels run there, and pip takes only the platforms listed
# (pillow 13, pillow-heif 1.8 and av 18 publish aarch64 wheels for manylinux_2_28 only).
PIP_TARGET_OPTIONS = (
    "--platform=manylinux2014_aarch64",
    "--platform=manylinux_2_28_aarch64",
    "--only-binary=:all:",
    "--python-version=3.12",
    "--implementation=cp",
    "--no-compile",
)
# BundlingOptions requires an image; local bundling returns True first, so it is never pulled.
UNUSED_IMAGE = DockerImage.from_registry("unused-local-bundling-only")
_IGNORED = ("__pycache__", "*.pyc")
LAMBDA_PYTHON_VERSION = (3, 12)  # RUNTIME's
LAMBDA_PYTHON_ENV = "DAM_LAMBDA_PYTHON"  # a path to a python3.12 when none is found on its own
SYSTEM_BIN_DIRS = ("/usr/bin", "/usr/local/bin")
# Where Lambda extracts a layer's python/ folder. The bytecode names its sources there, not in this machine's build
# folder: the same sources then give the same bytes on any machine and in any folder.
LAMBDA_LAYER_SITE = "/opt/python"
COMPILE_OPTIONS = ("-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash")


@jsii.implements(ILocalBundling)
class LocalBundling:
    """Runs `build(output_dir)` in this process instead of a container."""

    def __init__(self, build: Callable[[Path], None]) -> None:
        self._build = build

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        self._build(Path(output_dir))
        return True


def _python_version(executable: str) -> tuple[int, int] | None:
    """The version an interpreter reports, or None when it does not run (a pyenv shim of an unselected version)."""
    probe = "import sys; print(*sys.version_info[:2])"
    try:
        result = subprocess.run([executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    fields = result.stdout.split()
    return (int(fields[0]), int(fields[1])) if result.returncode == 0 and len(fields) == 2 else None


def _release_order(path: Path) -> tuple[int, ...]:
    """pyenv's versions/3.12.10/bin/... after versions/3.12.9/bin/... (numbers, not text)."""
    return tuple(int(part) for part in re.findall(r"\d+", path.parents[1].name))


def lambda_python() -> str:
    """A Python of Lambda's version, which alone can write bytecode Lambda's runtime loads."""
    name = "python{}.{}".format(*LAMBDA_PYTHON_VERSION)
    candidates = [os.environ.get(LAMBDA_PYTHON_ENV, ""), shutil.which(name) or ""]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    installed = pyenv_root.glob(f"versions/{name[6:]}*/bin/{name}")
    candidates += [str(path) for path in sorted(installed, key=_release_order, reverse=True)]
    candidates += [f"{directory}/{name}" for directory in SYSTEM_BIN_DIRS]
    for candidate in filter(None, candidates):
        if _python_version(candidate) == LAMBDA_PYTHON_VERSION:
            return candidate
    raise RuntimeError(
        f"Building the Lambda layers needs {name} (Lambda's runtime) to compile their bytecode, and none was "
        f"found on PATH, under {pyenv_root}/versions or in {' or '.join(SYSTEM_BIN_DIRS)}. "
        f"Install it (e.g. `pyenv install 3.12`), or set {LAMBDA_PYTHON_ENV} to its path."
    )


def compile_bytecode(site: Path) -> None:
    """Write every module's Lambda-version bytecode beside it (in __pycache__, as the import system looks)."""
    command = [lambda_python(), *COMPILE_OPTIONS, "-s", str(site), "-p", LAMBDA_LAYER_SITE, str(site)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"compiling the layer's bytecode failed:\n{(result.stdout + result.stderr)[-4000:]}")


def build_library(output_dir: Path) -> None:
    site = output_dir / "python"
    shutil.copytree(LIBRARY_ROOT / "dam", site / "dam", ignore=shutil.ignore_patterns(*_IGNORED), dirs_exist_ok=True)
    compile_bytecode(site)


def requirements_digest(requirements: Path = REQUIREMENTS) -> str:
    """Keys the build cache: the pinned requirements plus how they are installed and compiled."""
    material = (
        requirements.read_bytes() + "\n".join((*PIP_TARGET_OPTIONS, *COMPILE_OPTIONS, LAMBDA_LAYER_SITE)).encode()
    )
    return hashlib.sha256(material).hexdigest()[:20]


def build_dependencies(output_dir: Path, requirements: Path = REQUIREMENTS, cache_root: Path = DEFAULT_CACHE) -> None:
    """Install the pinned wheels into `output_dir/python`, reusing a finished build of the same pins."""
    cached = cache_root / requirements_digest(requirements)
    if not cached.is_dir():
        cache_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=cache_root))
        try:
            _pip_install(requirements, staging / "python")
            _tidy(staging / "python")
            compile_bytecode(staging / "python")
            staging.rename(cached)  # publish whole builds only: an interrupted one is never reused
        except OSError:
            if not cached.is_dir():  # a parallel build may have published first; else it is a real error
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(cached / "python", output_dir / "python", dirs_exist_ok=True)


def _pip_install(requirements: Path, target: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        f"--requirement={requirements}",
        f"--target={target}",
        *PIP_TARGET_OPTIONS,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"pip failed building the dependency layer:\n{result.stderr[-4000:]}")


def _tidy(site: Path) -> None:
    """Remove console scripts and caches (bytecode of this machine's Python); every installed distribution stays."""
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: nothing runs them on Lambda
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


class SharedLayers(Construct):
    """The library layer and the dependency layer, in the order functions list them; and the media layer
    (imaging libraries) that only the pipeline functions which decode files add."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.library = self._layer(
            "Library",
            "The dam package (domain, services, adapters)",
            lambda_.Code.from_asset(
                str(LIBRARY_ROOT),
                exclude=list(_IGNORED),
                ignore_mode=IgnoreMode.GIT,
                bundling=BundlingOptions(image=UNUSED_IMAGE, local=LocalBundling(build_library)),
            ),
        )
        self.dependencies = self._third_party("Dependencies", REQUIREMENTS)
        self.media = self._third_party("Media", MEDIA_REQUIREMENTS)

    def _third_party(self, construct_id: str, requirements: Path) -> lambda_.LayerVersion:
        def build(output_dir: Path) -> None:
            build_dependencies(output_dir, requirements)

        return self._layer(
            construct_id,
            f"Pinned third-party packages from {requirements.relative_to(PROJECT_ROOT)}",
            lambda_.Code.from_asset(
                str(requirements.parent),
                # The pins and pip options decide the content; a custom hash keeps it stable across machines.
                asset_hash=requirements_digest(requirements),
                bundling=BundlingOptions(image=UNUSED_IMAGE, local=LocalBundling(build)),
            ),
        )

    def _layer(self, construct_id: str, description: str, code: lambda_.Code) -> lambda_.LayerVersion:
        return lambda_.LayerVersion(
            self,
            construct_id,
            description=description,
            code=code,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.dependencies, self.library]

    @property
    def with_media(self) -> list[lambda_.ILayerVersion]:
        return [self.dependencies, self.media, self.library]
