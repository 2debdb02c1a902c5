"""Building for real: the layers through local bundling (no Docker), and a synth through the pinned CDK CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.synth import INFRA_MARKS, PROJECT_ROOT, Synth, synthesize

pytestmark = INFRA_MARKS

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
ELF_MACHINE_AARCH64 = 0xB7
PYC_FLAGS_UNCHECKED_HASH = "01000000"  # PEP 552: the header's flags, hash-based and never checked against the source
MEDIA_REQUIREMENTS = PROJECT_ROOT / "layers" / "media" / "requirements.txt"
DEPENDENCY_REQUIREMENTS = PROJECT_ROOT / "layers" / "dependencies" / "requirements.txt"
LOCK = PROJECT_ROOT / "requirements.lock"
# Where the dependency layer runs: what pip evaluates requirement markers against for Lambda's python3.12 on arm64.
LAMBDA_MARKERS = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "extra": "",
}


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _elf_machine(path: Path) -> int | None:
    """The ELF header's machine field, or None for a file that is no ELF binary."""
    with path.open("rb") as file:
        header = file.read(20)
    return int.from_bytes(header[18:20], "little") if header[:4] == b"\x7fELF" else None


def _staged_asset(synth: Synth, s3_key: dict[str, object]) -> Path:
    """The cloud assembly folder of the asset a Code/Content property points at."""
    asset_hash = str(s3_key["S3Key"]).removesuffix(".zip")
    manifest = json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())
    return synth.outdir / manifest["files"][asset_hash]["source"]["path"]


def _layer_site(synth: Synth, layer: object) -> Path:
    return _staged_asset(synth, synth.properties(layer)["Content"]) / "python"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """A full synth that runs the local bundling; the layer builds are cached under .build/."""
    return synthesize(tmp_path_factory.mktemp("cdk-bundled"), {}, bundle=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["api", "ingest", "renditions"])  # renditions: the media layer too
def test_function_and_layers_fit_lambdas_unzipped_limit(bundled: Synth, name: str) -> None:
    assert bundled.validation_error is None
    stack = bundled.stack
    handler = {"api": stack.api.handler, "ingest": stack.ingest.handler}.get(name) or stack.pipeline.steps[name]
    props = bundled.properties(handler.function)
    layers = {layer.node.id: layer for layer in (stack.layers.library, stack.layers.dependencies, stack.layers.media)}
    by_id = {bundled.logical_id(layer): layer_id for layer_id, layer in layers.items()}
    parts = {"function": _staged_asset(bundled, props["Code"])} | {
        f"{by_id[ref['Ref']]} layer": _staged_asset(bundled, bundled.resources[ref["Ref"]]["Properties"]["Content"])
        for ref in props["Layers"]
    }
    sizes = {part: _size(path) for part, path in parts.items()}
    total = sum(sizes.values())
    detail = ", ".join(f"{part} {size / 1024**2:.1f} MB" for part, size in sizes.items())
    print(f"{handler.node.path}: {total / 1024**2:.1f} MB unzipped ({detail})")
    assert total < LAMBDA_UNZIPPED_LIMIT, detail


@pytest.mark.slow
def test_dependency_layer_holds_arm64_wheels_and_its_own_sdk(bundled: Synth) -> None:
    site = _layer_site(bundled, bundled.stack.layers.dependencies)
    (binary,) = (site / "pydantic_core").glob("_pydantic_core*.so")
    assert "aarch64" in binary.name
    assert _elf_machine(binary) == ELF_MACHINE_AARCH64
    assert "cpython-312" in binary.name
    installed = dict(_name_and_version(d.name.removesuffix(".dist-info"), "-") for d in site.glob("*.dist-info"))
    assert installed == _pins(DEPENDENCY_REQUIREMENTS)  # every pin, at its version, and nothing else
    for package in ("boto3", "botocore", "s3transfer"):
        assert (site / package / "__init__.py").is_file()
    for package in ("aws_lambda_powertools", "pydantic", "pynamodb", "opensearchpy", "requests"):
        assert (site / package / "__init__.py").is_file()
    # Every native binary, not only pydantic-core's (charset-normalizer, grpcio and protobuf ship some too).
    machines = {path.relative_to(site): _elf_machine(path) for path in site.rglob("*") if path.is_file()}
    assert {path: machine for path, machine in machines.items() if machine not in (None, ELF_MACHINE_AARCH64)} == {}
    _assert_every_module_has_lambda_bytecode(site)


def _assert_every_module_has_lambda_bytecode(site: Path) -> None:
    """Each module's python3.12 bytecode is beside it, hash-based and unchecked, and nothing else's is."""
    sources = list(site.rglob("*.py"))
    assert sources
    missing = [
        p.relative_to(site) for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.cpython-312.pyc").is_file()
    ]
    assert missing == []
    magic = _run_lambda_python("import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())").stdout.strip()
    headers = {(pyc.name.split(".")[-2], pyc.read_bytes()[:8].hex()) for pyc in site.rglob("*.pyc")}
    assert headers == {("cpython-312", magic + PYC_FLAGS_UNCHECKED_HASH)}


def _run_lambda_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    from stacks.layers import lambda_python

    run_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env}  # as on Lambda, where /opt is read-only
    result = subprocess.run(
        [lambda_python(), "-S", "-c", code], capture_output=True, text=True, env=run_env, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.mark.slow
def test_lambdas_python_imports_the_sdk_from_the_layers_bytecode_without_compiling_a_module(bundled: Synth) -> None:
    """A layer without bytecode compiles every module it imports at each cold start (/opt is read-only): about a
    second for boto3 alone. CDK zips assets with one fixed timestamp, which timestamp-checked bytecode would
    never match; the layer's bytecode is checked by nothing and loads anyway."""
    site = _layer_site(bundled, bundled.stack.layers.dependencies)
    for source in site.rglob("*.py"):
        os.utime(source, (315532800, 315532800))  # 1980-01-01, the earliest time a zip entry can hold
    run = _run_lambda_python(
        "import boto3, botocore.session; print(boto3.__file__)", PYTHONPATH=str(site), PYTHONVERBOSE="1"
    )
    assert run.stdout.strip() == str(site / "boto3" / "__init__.py")
    loaded = re.findall(r"^# code object from '?(\S+?)'?$", run.stderr, re.MULTILINE)
    from_layer = [path for path in loaded if path.startswith(str(site))]
    assert len(from_layer) > 100
    assert [path for path in from_layer if not path.endswith(".cpython-312.pyc")] == []


def _name_and_version(pin_or_dist: str, separator: str) -> tuple[str, str]:
    name, version = pin_or_dist.rsplit(separator, 1)
    return re.sub(r"[-_.]+", "-", name).lower(), version  # the normalized distribution name


def _pins(requirements: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    return dict(_name_and_version(line, "==") for line in lines if line)


def test_dependency_layer_pins_a_closed_set_at_the_locked_versions() -> None:
    """Every dependency of every pinned package is pinned too (boto3's botocore and s3transfer included), at the
    version the tests run with: no package in the layer runs against a version the layer does not ship."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement

    pins = _pins(DEPENDENCY_REQUIREMENTS)
    locked = _pins(LOCK)
    assert {name: locked.get(name) for name in pins} == pins
    missing = {}
    for name in pins:
        for line in distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(LAMBDA_MARKERS):
                needed = re.sub(r"[-_.]+", "-", requirement.name).lower()
                if needed not in pins:
                    missing.setdefault(name, []).append(needed)
    assert missing == {}
    assert {"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil", "jmespath"} <= set(pins)


def test_the_layer_build_keeps_every_installed_distribution(tmp_path: Path) -> None:
    from stacks import layers

    site = tmp_path / "python"
    for package, dist in (("botocore", "botocore-1.44.5"), ("urllib3", "urllib3-2.8.0")):
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text("")
        (site / f"{dist}.dist-info").mkdir()
        (site / f"{dist}.dist-info" / "RECORD").write_text(f"{package}/__init__.py,,\n")
    (site / "bin").mkdir()
    (site / "urllib3" / "__pycache__").mkdir()
    layers._tidy(site)
    assert sorted(p.name for p in site.iterdir()) == [
        "botocore",
        "botocore-1.44.5.dist-info",
        "urllib3",
        "urllib3-2.8.0.dist-info",
    ]
    assert not list(site.rglob("__pycache__"))


def test_a_layer_builds_to_the_same_bytes_in_any_folder_and_names_its_sources_where_lambda_puts_them(
    tmp_path: Path,
) -> None:
    """Bytecode records its source's path. Compiled as found in the build folder, each machine (and each
    build folder) would give other bytes for the same sources; Lambda's tracebacks name /opt/python instead."""
    from stacks import layers

    first, second = tmp_path / "a", tmp_path / "somewhere" / "else"
    layers.build_library(first)
    layers.build_library(second)

    def contents(root: Path) -> dict[Path, bytes]:
        return {path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()}

    built, rebuilt = contents(first), contents(second)
    assert sorted(built) == sorted(rebuilt)
    assert [path for path in built if built[path] != rebuilt[path]] == []
    pyc = first / "python" / "dam" / "__pycache__" / "settings.cpython-312.pyc"
    code = f"import marshal; print(marshal.loads(open({str(pyc)!r}, 'rb').read()[16:]).co_filename)"
    assert _run_lambda_python(code).stdout.strip() == "/opt/python/dam/settings.py"


def _fake_python(directory: Path, name: str, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    script.write_text(f"#!/bin/sh\necho {version}\n")
    script.chmod(0o755)
    return script


@pytest.fixture
def no_python_312(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """PATH, pyenv and the system directories as on a machine without python3.12 (a 3.11 shim on PATH)."""
    from stacks import layers

    _fake_python(tmp_path / "bin", "python3.12", "3 11")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.delenv(layers.LAMBDA_PYTHON_ENV, raising=False)
    monkeypatch.setattr(layers, "SYSTEM_BIN_DIRS", (str(tmp_path / "usr-bin"),))
    return tmp_path


def test_the_layers_bytecode_is_compiled_by_lambdas_python_found_under_pyenv(no_python_312: Path) -> None:
    from stacks import layers

    _fake_python(no_python_312 / "pyenv" / "versions" / "3.12.1" / "bin", "python3.12", "3 12")
    _fake_python(no_python_312 / "pyenv" / "versions" / "3.12.9" / "bin", "python3.12", "3 12")
    newest = _fake_python(no_python_312 / "pyenv" / "versions" / "3.12.10" / "bin", "python3.12", "3 12")
    _fake_python(no_python_312 / "pyenv" / "versions" / "3.11.7" / "bin", "python3.12", "3 11")
    assert layers.lambda_python() == str(newest)


def test_a_python_named_by_the_environment_is_used_only_when_it_is_lambdas_version(
    no_python_312: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stacks import layers

    monkeypatch.setenv(layers.LAMBDA_PYTHON_ENV, str(_fake_python(no_python_312 / "custom", "python", "3 13")))
    system = _fake_python(no_python_312 / "usr-bin", "python3.12", "3 12")
    assert layers.lambda_python() == str(system)
    chosen = _fake_python(no_python_312 / "chosen", "python", "3 12")
    monkeypatch.setenv(layers.LAMBDA_PYTHON_ENV, str(chosen))
    assert layers.lambda_python() == str(chosen)


def test_building_a_layer_without_lambdas_python_says_what_to_install(no_python_312: Path) -> None:
    from stacks import layers

    with pytest.raises(RuntimeError, match=r"needs python3\.12 .* set DAM_LAMBDA_PYTHON"):
        layers.build_library(no_python_312 / "out")


@pytest.mark.slow
def test_media_layer_holds_every_pinned_package_built_for_arm64_cpython_312(bundled: Synth) -> None:
    site = _layer_site(bundled, bundled.stack.layers.media)
    installed = dict(_name_and_version(d.name.removesuffix(".dist-info"), "-") for d in site.glob("*.dist-info"))
    pins = _pins(MEDIA_REQUIREMENTS)
    assert {name: installed.get(name) for name in pins} == pins
    # Every native binary (extension modules and the libraries the wheels bundle: ffmpeg, libheif, pdfium…).
    machines = {path: _elf_machine(path) for path in site.rglob("*") if path.is_file()}
    binaries = {path for path, machine in machines.items() if machine is not None}
    assert len(binaries) > len(pins)
    assert [p.relative_to(site) for p in binaries if machines[p] != ELF_MACHINE_AARCH64] == []
    extensions = [p.name for p in binaries if ".cpython-" in p.name]
    assert extensions
    assert [name for name in extensions if "cpython-312" not in name] == []
    _assert_every_module_has_lambda_bytecode(site)


@pytest.mark.slow
def test_library_layer_is_the_dam_package_under_python(bundled: Synth) -> None:
    layer = bundled.resources[bundled.logical_id(bundled.stack.layers.library)]
    root = _staged_asset(bundled, layer["Properties"]["Content"])
    assert [p.name for p in root.iterdir()] == ["python"]
    assert (root / "python" / "dam" / "__init__.py").is_file()
    assert (root / "python" / "dam" / "adapters" / "dynamodb" / "schema.py").is_file()
    _assert_every_module_has_lambda_bytecode(root / "python")


@pytest.mark.slow
def test_the_web_asset_is_the_build_only(bundled: Synth) -> None:
    """A real synth runs `make web` and deploys web/dist: index.html and static/, never sources or node_modules."""
    deployments = [r["Properties"] for r in bundled.of_type("Custom::CDKBucketDeployment").values()]
    shell = next(props for props in deployments if "DistributionId" in props)
    root = _staged_asset(bundled, {"S3Key": shell["SourceObjectKeys"][0]})
    assert {path.name for path in root.iterdir()} >= {"index.html", "static"}
    assert not {"node_modules", "src", "package.json"} & {path.name for path in root.iterdir()}
    assert list((root / "static").glob("*.js"))


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
