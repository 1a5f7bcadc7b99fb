"""The packages a platform team installs: `paved package build` and the package metadata.

Given the package folders that `paved generate` writes, `paved package build` produces .xpkg
files that real OCI tools read (skopeo, umoci), that hold `package.yaml` in the layer annotated
`io.crossplane.xpkg: base`, that embed a runtime image when given one, and that are the same
bytes every time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from support.compose import REPO
from support.crds import CRDS_DIR, crds_available, validate

from functions import package_meta
from functions.cli import main
from functions.kit import Kind
from functions.package import PackageError, build, package_stream
from functions.resources import kinds
from functions.version import tag, version

PYPROJECT_VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
NEEDS_CRDS = pytest.mark.skipif(not crds_available(), reason=f"no CRDs at {CRDS_DIR}")


def _meta(name: str) -> dict[str, Any]:
    root = REPO / package_meta.PACKAGE_ROOTS[name]
    return yaml.safe_load((root / "crossplane.yaml").read_text())


def _members(xpkg: Path) -> dict[str, bytes]:
    with tarfile.open(xpkg) as archive:
        return {
            m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.isfile()
        }


def _image(xpkg: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, bytes]]:
    """(manifest, config, blobs by digest) of the single image in an .xpkg."""
    members = _members(xpkg)
    blobs = {
        "sha256:" + name.rsplit("/", 1)[1]: data
        for name, data in members.items()
        if name.startswith("blobs/")
    }
    (descriptor,) = json.loads(members["index.json"])["manifests"]
    manifest = json.loads(blobs[descriptor["digest"]])
    return manifest, json.loads(blobs[manifest["config"]["digest"]]), blobs


def _package_yaml(xpkg: Path) -> list[dict[str, Any]]:
    manifest, _, blobs = _image(xpkg)
    (base,) = [
        layer
        for layer in manifest["layers"]
        if layer.get("annotations", {}).get("io.crossplane.xpkg") == "base"
    ]
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blobs[base["digest"]]))) as layer:
        assert layer.getnames() == ["package.yaml"]
        stream = layer.extractfile("package.yaml").read()  # type: ignore[union-attr]
    return [d for d in yaml.safe_load_all(stream) if d]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    result = CliRunner().invoke(
        main, ["package", "build", "--root", str(REPO), "--output-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    return {name: out / f"{name}-{tag()}.xpkg" for name in package_meta.PACKAGE_ROOTS}


# -- metadata ---------------------------------------------------------------------------------


@NEEDS_CRDS
@pytest.mark.parametrize("name", sorted(package_meta.PACKAGE_ROOTS))
def test_every_package_metadata_is_valid_against_crossplanes_meta_crds(name: str) -> None:
    meta = _meta(name)
    assert meta["apiVersion"] == "meta.pkg.crossplane.io/v1"
    assert meta["metadata"]["name"] == name
    assert meta["spec"]["crossplane"]["version"] == ">=v2.0.0"
    for key in ("maintainer", "source", "license", "description", "readme"):
        assert meta["metadata"]["annotations"][f"meta.crossplane.io/{key}"].strip()
    assert validate(meta) == []


@pytest.mark.parametrize("mode", sorted(package_meta.CONFIGURATIONS))
def test_a_configuration_holds_its_modes_xrds_and_every_composition(mode: str) -> None:
    root = REPO / "package/configuration" / mode
    for folder, source in ((root / "xrds", REPO / "xrds" / mode), (root / "compositions", None)):
        source = source or REPO / "compositions"
        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in source.iterdir())
        for path in folder.iterdir():
            assert path.read_text() == (source / path.name).read_text()
    xrd_versions = {yaml.safe_load(p.read_text())["apiVersion"] for p in (root / "xrds").iterdir()}
    assert xrd_versions == {
        "apiextensions.crossplane.io/v2"
        if mode == "namespaced"
        else "apiextensions.crossplane.io/v1"
    }


def _released(repo: str) -> str:
    """The release a CRD snapshot descends from, per ../shared/crds/SOURCES.md (`git describe`)."""
    sources = (CRDS_DIR / "SOURCES.md").read_text()
    match = re.search(rf"^\| {re.escape(repo)} \|[^|]*\|[^|]*\| `(v[0-9.]+)-", sources, re.M)
    assert match, f"{repo} is not in SOURCES.md"
    return match.group(1)


@NEEDS_CRDS
@pytest.mark.parametrize("mode", sorted(package_meta.CONFIGURATIONS))
def test_a_configuration_depends_on_the_function_and_every_provider_it_composes_into(
    mode: str,
) -> None:
    name = package_meta.CONFIGURATIONS[mode]["name"]
    dependencies = {d["package"]: d for d in _meta(name)["spec"]["dependsOn"]}
    function = dependencies.pop("xpkg.upbound.io/paved/function-paved")
    assert (function["apiVersion"], function["kind"], function["version"]) == (
        "pkg.crossplane.io/v1",
        "Function",
        f"v{PYPROJECT_VERSION}",
    )
    services = {
        k.cluster_api_version.split(".")[0]
        for k in vars(kinds).values()
        if isinstance(k, Kind) and ".aws.upbound.io/" in k.cluster_api_version
    }
    expected = {
        **{
            f"xpkg.upbound.io/upbound/provider-aws-{s}": _released(
                "crossplane-contrib/provider-upjet-aws"
            )
            for s in services
        },
        "xpkg.crossplane.io/crossplane-contrib/provider-helm": _released(
            "crossplane-contrib/provider-helm"
        ),
        "xpkg.crossplane.io/crossplane-contrib/provider-kubernetes": _released(
            "crossplane-contrib/provider-kubernetes"
        ),
    }
    assert {"s3", "ec2", "eks", "iam", "kms", "rds"} <= services
    assert set(dependencies) == set(expected)
    for package, release in expected.items():
        dependency = dependencies[package]
        assert (dependency["apiVersion"], dependency["kind"]) == (
            "pkg.crossplane.io/v1",
            "Provider",
        )
        major = int(release[1:].split(".")[0])
        assert dependency["version"] == f">={release}, <v{major + 1}.0.0"


def test_ci_lints_tests_builds_both_architectures_and_pushes_on_tags() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    jobs = workflow["jobs"]
    assert set(jobs) == {"lint", "test", "build", "push"}
    assert jobs["build"]["strategy"]["matrix"]["arch"] == ["amd64", "arm64"]
    assert jobs["push"]["if"] == "startsWith(github.ref, 'refs/tags/v')"
    steps = " ".join(str(step.get("run", "")) for step in jobs["build"]["steps"])
    assert "paved package build function-paved" in steps
    assert "--embed-runtime-image-tarball runtime-${{ matrix.arch }}.tar" in steps
    (image,) = [s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("docker/build")]
    assert image["with"]["file"] == "package/Dockerfile"
    assert image["with"]["outputs"] == "type=docker,dest=runtime-${{ matrix.arch }}.tar"


def test_one_version_from_pyproject_everywhere() -> None:
    assert version() == PYPROJECT_VERSION
    result = CliRunner().invoke(main, ["--version"])
    assert result.output.strip() == f"paved v{PYPROJECT_VERSION}"
    functions = yaml.safe_load((REPO / "examples/functions.yaml").read_text())
    assert functions["spec"]["package"] == f"xpkg.upbound.io/paved/function-paved:{tag()}"
    workflow = (REPO / ".github/workflows/ci.yml").read_text()
    assert "paved --version" in workflow  # the image and package tags come from pyproject


# -- building ---------------------------------------------------------------------------------


def test_build_writes_every_package_and_is_deterministic(
    built: dict[str, Path], tmp_path: Path
) -> None:
    again = CliRunner().invoke(
        main, ["package", "build", "--root", str(REPO), "--output-dir", str(tmp_path)]
    )
    assert again.exit_code == 0, again.output
    for name, path in built.items():
        assert path.read_bytes() == (tmp_path / path.name).read_bytes(), name
        digest = _image(path)[0]
        assert digest["annotations"]["org.opencontainers.image.version"] == tag()


@pytest.mark.parametrize("name", sorted(package_meta.PACKAGE_ROOTS))
def test_the_base_layer_holds_package_yaml_metadata_first(
    built: dict[str, Path], name: str
) -> None:
    documents = _package_yaml(built[name])
    meta, *objects = documents
    assert meta == _meta(name)
    if name == package_meta.FUNCTION_NAME:
        assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
            ("CustomResourceDefinition", "inputs.fn.paved.dev")
        ]
    else:
        kinds_ = sorted(o["kind"] for o in objects)
        assert kinds_ == ["CompositeResourceDefinition"] * 3 + ["Composition"] * 3


@pytest.mark.parametrize("name", sorted(package_meta.PACKAGE_ROOTS))
def test_the_image_is_both_an_oci_layout_and_a_docker_archive(
    built: dict[str, Path], name: str
) -> None:
    members = _members(built[name])
    assert json.loads(members["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    manifest, config, blobs = _image(built[name])
    for digest, data in blobs.items():
        assert digest == "sha256:" + hashlib.sha256(data).hexdigest()
    (layer,) = manifest["layers"]
    assert layer["annotations"] == {"io.crossplane.xpkg": "base"}
    assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    # What `crossplane xpkg push` turns back into the layer annotation.
    assert config["config"]["Labels"][f"io.crossplane.xpkg:{layer['digest']}"] == "base"
    assert config["config"]["Labels"]["org.opencontainers.image.version"] == tag()
    diff_id = "sha256:" + hashlib.sha256(gzip.decompress(blobs[layer["digest"]])).hexdigest()
    assert config["rootfs"]["diff_ids"] == [diff_id]
    (docker,) = json.loads(members["manifest.json"])
    assert docker["Config"] == "blobs/" + manifest["config"]["digest"].replace(":", "/")
    assert docker["Layers"] == ["blobs/" + layer["digest"].replace(":", "/")]
    assert docker["RepoTags"] == [f"{package_meta.REGISTRY}/{name}:{tag()}"]


# -- real OCI tools ---------------------------------------------------------------------------

SKOPEO = shutil.which("skopeo")
UMOCI = shutil.which("umoci")
NO_SKOPEO = "skopeo is not installed (apt-get install skopeo; .ci/run installs it)"
NO_UMOCI = "umoci is not installed (apt-get install umoci; .ci/run installs it)"


def _skopeo(*args: str) -> dict[str, Any]:
    assert SKOPEO
    result = subprocess.run(
        [SKOPEO, "--insecure-policy", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.skipif(SKOPEO is None, reason=NO_SKOPEO)
@pytest.mark.parametrize("name", sorted(package_meta.PACKAGE_ROOTS))
def test_skopeo_reads_the_package_as_oci_archive_and_docker_archive(
    built: dict[str, Path], name: str
) -> None:
    path = built[name]
    manifest, config, _ = _image(path)
    raw = _skopeo("inspect", "--raw", f"oci-archive:{path}:{tag()}")
    assert raw == manifest
    assert raw["layers"][-1]["annotations"] == {"io.crossplane.xpkg": "base"}
    inspected = _skopeo("inspect", f"oci-archive:{path}")
    assert inspected["Labels"] == config["config"]["Labels"]
    assert inspected["Labels"]["org.opencontainers.image.version"] == tag()
    from_docker = _skopeo("inspect", "--config", f"docker-archive:{path}")
    assert from_docker["config"]["Labels"] == config["config"]["Labels"]


@pytest.mark.skipif(UMOCI is None, reason=NO_UMOCI)
def test_umoci_unpacks_package_yaml(built: dict[str, Path], tmp_path: Path) -> None:
    assert UMOCI
    layout = tmp_path / "layout"
    with tarfile.open(built["paved-platform"]) as archive:
        archive.extractall(layout, filter="data")
    bundle = tmp_path / "bundle"
    result = subprocess.run(
        [UMOCI, "unpack", "--rootless", "--image", f"{layout}:{tag()}", str(bundle)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (bundle / "rootfs").iterdir()) == ["package.yaml"]
    meta = next(yaml.safe_load_all((bundle / "rootfs/package.yaml").read_text()))
    assert (meta["kind"], meta["metadata"]["name"]) == ("Configuration", "paved-platform")


# -- embedding the runtime image --------------------------------------------------------------


def _layer_tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


RUNTIME_LAYERS = [
    _layer_tar({"venv/fn/bin/paved": b"#!/venv/fn/bin/python3\n"}),
    _layer_tar({"etc/os-release": b"ID=debian\n"}),
]
RUNTIME_CONFIG = {
    "architecture": "arm64",
    "os": "linux",
    "created": "2026-01-01T00:00:00Z",
    "config": {
        "Entrypoint": ["/venv/fn/bin/paved", "serve"],
        "User": "65532:65532",
        "Labels": {"org.opencontainers.image.source": "github.com/paved/paved"},
    },
    "rootfs": {
        "type": "layers",
        "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in RUNTIME_LAYERS],
    },
    "history": [{"created_by": "COPY /venv"}, {"created_by": "base"}],
}


def _docker_save(path: Path) -> Path:
    """A runtime image as `docker save` writes it (uncompressed layers, manifest.json)."""
    with tarfile.open(path, "w") as tar:
        entries = {"config.json": json.dumps(RUNTIME_CONFIG).encode()}
        entries |= {f"layer{i}/layer.tar": data for i, data in enumerate(RUNTIME_LAYERS)}
        manifest = [
            {
                "Config": "config.json",
                "RepoTags": ["runtime-arm64:latest"],
                "Layers": [f"layer{i}/layer.tar" for i in range(len(RUNTIME_LAYERS))],
            }
        ]
        entries["manifest.json"] = json.dumps(manifest).encode()
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _oci_layout(path: Path) -> Path:
    """The same image as `docker buildx build --output type=oci` writes it (gzip layers)."""
    blobs: dict[str, bytes] = {}

    def add(data: bytes, media_type: str) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    config = add(json.dumps(RUNTIME_CONFIG).encode(), "application/vnd.oci.image.config.v1+json")
    layers = [
        add(gzip.compress(layer, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip")
        for layer in RUNTIME_LAYERS
    ]
    manifest = add(
        json.dumps({"schemaVersion": 2, "config": config, "layers": layers}).encode(),
        "application/vnd.oci.image.manifest.v1+json",
    )
    attestation = add(b"{}", "application/vnd.oci.image.manifest.v1+json")
    attestation["annotations"] = {"vnd.docker.reference.type": "attestation-manifest"}
    index = add(
        json.dumps({"schemaVersion": 2, "manifests": [manifest, attestation]}).encode(),
        "application/vnd.oci.image.index.v1+json",
    )
    with tarfile.open(path, "w") as tar:
        entries = {"index.json": json.dumps({"schemaVersion": 2, "manifests": [index]}).encode()}
        entries |= {"blobs/" + d.replace(":", "/"): data for d, data in blobs.items()}
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("write_runtime", [_docker_save, _oci_layout], ids=["docker", "oci"])
def test_the_function_package_embeds_a_runtime_image_tarball(
    tmp_path: Path, write_runtime: Any
) -> None:
    runtime = write_runtime(tmp_path / "runtime-arm64.tar")
    result = CliRunner().invoke(
        main,
        [
            "package",
            "build",
            "function-paved",
            "--root",
            str(REPO),
            "-o",
            str(tmp_path / "dist"),
            "--embed-runtime-image-tarball",
            str(runtime),
        ],
    )
    assert result.exit_code == 0, result.output
    xpkg = tmp_path / "dist" / f"function-paved-{tag()}-arm64.xpkg"
    manifest, config, blobs = _image(xpkg)
    *base, package = manifest["layers"]
    assert [gzip.decompress(blobs[layer["digest"]]) for layer in base] == RUNTIME_LAYERS
    assert "annotations" not in base[0]
    assert package["annotations"] == {"io.crossplane.xpkg": "base"}
    assert config["architecture"] == "arm64"
    assert config["config"]["Entrypoint"] == ["/venv/fn/bin/paved", "serve"]
    assert config["config"]["User"] == "65532:65532"
    assert config["rootfs"]["diff_ids"][:2] == RUNTIME_CONFIG["rootfs"]["diff_ids"]
    assert len(config["rootfs"]["diff_ids"]) == 3
    assert len(config["history"]) == 3
    assert config["config"]["Labels"]["org.opencontainers.image.version"] == tag()
    assert _package_yaml(xpkg)[0]["kind"] == "Function"
    if SKOPEO:
        assert _skopeo("inspect", f"oci-archive:{xpkg}")["Architecture"] == "arm64"


# -- refusing bad packages --------------------------------------------------------------------


def _write(root: Path, files: dict[str, Any]) -> Path:
    for name, documents in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump_all(documents))
    return root


CONFIGURATION = {
    "apiVersion": "meta.pkg.crossplane.io/v1",
    "kind": "Configuration",
    "metadata": {"name": "c"},
    "spec": {"crossplane": {"version": ">=v2.0.0"}},
}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"a.yaml": [{"apiVersion": "v1", "kind": "ConfigMap"}]},
            "pkg: crossplane.yaml: no meta.pkg.crossplane.io object",
        ),
        (
            {"crossplane.yaml": [CONFIGURATION], "x/deploy.yaml": [{"apiVersion": "apps/v1"}]},
            "pkg/x/deploy.yaml: kind: required",
        ),
        (
            {
                "crossplane.yaml": [CONFIGURATION],
                "x/deploy.yaml": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            },
            "pkg/x/deploy.yaml: kind: Deployment (apps/v1) is not allowed in a Configuration "
            "package (only CompositeResourceDefinition, Composition)",
        ),
        (
            {"crossplane.yaml": [CONFIGURATION], "b/crossplane.yaml": [CONFIGURATION]},
            "pkg/crossplane.yaml: a second package metadata object (the first is in "
            "pkg/b/crossplane.yaml)",
        ),
        (
            {
                "crossplane.yaml": [
                    {
                        **CONFIGURATION,
                        "spec": {"dependsOn": [{"provider": "x/provider-y", "version": "latest"}]},
                    }
                ]
            },
            "pkg/crossplane.yaml: spec.dependsOn[0].version: not a version constraint or digest",
        ),
    ],
    ids=["no-meta", "no-kind", "foreign-kind", "two-metas", "bad-version"],
)
def test_a_bad_package_is_refused_in_one_line_naming_file_and_field(
    tmp_path: Path, files: dict[str, Any], message: str
) -> None:
    root = _write(tmp_path / "pkg", files)
    with pytest.raises(PackageError) as error:
        build("c", root, tmp_path / "out", display_root=tmp_path)
    assert str(error.value) == message


def test_the_command_reports_a_bad_runtime_tarball_without_a_traceback(tmp_path: Path) -> None:
    bogus = tmp_path / "runtime.tar"
    bogus.write_bytes(b"not a tar")
    result = CliRunner().invoke(
        main,
        [
            *("package", "build", "function-paved", "--root", str(REPO), "-o", str(tmp_path)),
            *("--embed-runtime-image-tarball", str(bogus)),
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bogus}: not an image tarball")
    assert "Traceback" not in result.output


def test_python_dash_m_functions_package_builds(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(Path(__import__("sys").executable)),
            "-m",
            "functions.package",
            "paved-platform-claims",
            "-o",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / f"paved-platform-claims-{tag()}.xpkg").is_file()
    kind, stream = package_stream(REPO / "package/configuration/claim")
    assert kind == "Configuration" and stream.startswith(b"---\napiVersion: meta.pkg")


# -- the runtime image ------------------------------------------------------------------------

DOCKERFILE = (REPO / "package/Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_is_multi_stage_distroless_pinned_by_digest_and_non_root() -> None:
    instructions = _instructions()
    args = dict(a.split("=", 1) for kind, a in instructions if kind == "ARG" and "=" in a)
    stages = [a for kind, a in instructions if kind == "FROM"]
    assert len(stages) == 2
    runtime = stages[-1].split()[0]
    assert runtime == "${RUNTIME_BASE}"
    assert re.fullmatch(
        r"gcr\.io/distroless/python3-debian12:nonroot@sha256:[0-9a-f]{64}", args["RUNTIME_BASE"]
    )
    final = instructions[[i for i, (k, _) in enumerate(instructions) if k == "FROM"][-1] :]
    assert ("USER", "65532:65532") in final
    (entrypoint,) = [json.loads(a) for k, a in final if k == "ENTRYPOINT"]
    assert entrypoint == ["/venv/fn/bin/paved", "serve"]
    assert not [k for k, _ in final if k in ("RUN", "ADD")]  # distroless: nothing runs in it
    assert any("PYTHONDONTWRITEBYTECODE=1" in a for k, a in final if k == "ENV")
    assert any("org.opencontainers.image.version" in a for k, a in final if k == "LABEL")


def test_dependencies_are_installed_from_the_hash_locked_lock_file() -> None:
    run = " ".join(a for k, a in _instructions() if k == "RUN")
    assert "--require-hashes" in run and "-r requirements.lock" in run
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*") + 1 :][:4] == [
        "!pyproject.toml",
        "!README.md",
        "!requirements.lock",
        "!functions/",
    ]


def test_the_lock_file_pins_every_dependency_of_pyproject_with_hashes() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lock = (REPO / "requirements.lock").read_text()
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=[a-z0-9])", lock.split("\n\n", 1)[-1]):
        first = block.split()[0] if block.strip() and not block.startswith("#") else ""
        if "==" in first:
            name, pinned = first.split("==")
            assert "--hash=sha256:" in block, f"{name} has no hash"
            pins[canonicalize_name(name)] = pinned
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for dependency in map(Requirement, project["dependencies"]):
        name = canonicalize_name(dependency.name)
        assert name in pins, f"{name} is not in requirements.lock: regenerate it (see README)"
        assert dependency.specifier.contains(pins[name]), f"{name}=={pins[name]} is stale"
