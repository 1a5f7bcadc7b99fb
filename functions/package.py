"""Build Crossplane packages (.xpkg) without the crossplane CLI.

An xpkg is an OCI image whose layer annotated `io.crossplane.xpkg: base` holds `package.yaml`, the
YAML stream of the package's objects (its `crossplane.yaml` metadata first). A function package
may be built on top of its runtime image, so that the package *is* the image Crossplane runs.

The file written is a tar that is both an OCI image layout (`oci-layout`, `index.json`,
`blobs/sha256/...`, read by `skopeo ... oci-archive:`) and a `docker save` archive
(`manifest.json`, read by `crossplane xpkg push --package-files` and `docker load`). Like
`crossplane xpkg build`, the layer annotation is also recorded as the image config label
`io.crossplane.xpkg:<layer digest>: base`, which `crossplane xpkg push` turns into the layer
annotation again. Everything is deterministic: no timestamps, sorted keys, fixed tar headers and
gzip without a modification time, so the same input gives the same digest.

    paved package build                     # every package, meta-only, into dist/
    python -m functions.package function --embed-runtime-image-tarball runtime-amd64.tar
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sys
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

from functions import package_meta as packages
from functions.version import tag

XPKG_ANNOTATION = "io.crossplane.xpkg"
XPKG_BASE = "base"
STREAM_FILE = "package.yaml"
# Timestamps are fixed so that the same input always gives the same digest.
EPOCH = "1970-01-01T00:00:00Z"
META_GROUP = "meta.pkg.crossplane.io"

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
_IMAGE_MANIFESTS = {OCI_MANIFEST, "application/vnd.docker.distribution.manifest.v2+json"}
_INDEXES = {OCI_INDEX, "application/vnd.docker.distribution.manifest.list.v2+json"}

# What each package kind may hold besides its metadata (the xpkg specification).
ALLOWED_OBJECTS: dict[str, set[tuple[str, str]]] = {
    "Function": {("apiextensions.k8s.io", "CustomResourceDefinition")},
    "Configuration": {
        ("apiextensions.crossplane.io", "CompositeResourceDefinition"),
        ("apiextensions.crossplane.io", "Composition"),
    },
}
# A semantic version constraint as Crossplane reads them: `v1.2.3`, `>=v2.0.0`, `>=v1, <v2`.
_CONSTRAINT = re.compile(
    r"^\s*(?:(?:[<>]=?|[=~^!]=?)?\s*v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?\s*)"
    r"(?:,?\s*(?:[<>]=?|[=~^!]=?)?\s*v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?\s*)*$"
)


class PackageError(Exception):
    """A package that cannot be built: one line naming the file and field."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.splitlines()))


@dataclass(frozen=True)
class Blob:
    media_type: str
    data: bytes
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def descriptor(self) -> dict[str, Any]:
        descriptor: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": len(self.data),
        }
        if self.annotations:
            descriptor["annotations"] = dict(sorted(self.annotations.items()))
        return descriptor


@dataclass(frozen=True)
class Layer:
    """A gzip-compressed layer and the digest of its uncompressed tar (the config's diff_id)."""

    blob: Blob
    diff_id: str


@dataclass(frozen=True)
class RuntimeImage:
    """A runtime image read from a tarball: its config (parsed) and its layers."""

    config: dict[str, Any]
    layers: list[Layer]


@dataclass(frozen=True)
class Built:
    name: str
    path: Path
    digest: str


# -- package.yaml -----------------------------------------------------------------------------


def _yaml_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".yml") and p.stat().st_size
    )


def _documents(path: Path, display: str) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        documents = list(yaml.safe_load_all(path.read_text()))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise PackageError(f"{display}{where}: {problem}") from None
    for index, document in enumerate(documents):
        if document is None:
            continue
        where = f"{display} (document {index + 1})" if len(documents) > 1 else display
        if not isinstance(document, dict):
            raise PackageError(f"{where}: not a Kubernetes object")
        for key in ("apiVersion", "kind"):
            if not isinstance(document.get(key), str) or not document[key]:
                raise PackageError(f"{where}: {key}: required")
        yield where, document


def _check_meta(where: str, meta: dict[str, Any]) -> None:
    spec = meta.get("spec") or {}
    if not (meta.get("metadata") or {}).get("name"):
        raise PackageError(f"{where}: metadata.name: required")
    constraint = (spec.get("crossplane") or {}).get("version")
    if constraint is not None and not _CONSTRAINT.match(str(constraint)):
        raise PackageError(f"{where}: spec.crossplane.version: not a version constraint")
    for index, dependency in enumerate(spec.get("dependsOn") or []):
        path = f"spec.dependsOn[{index}]"
        if not isinstance(dependency, dict):
            raise PackageError(f"{where}: {path}: must be an object")
        version = dependency.get("version")
        if not isinstance(version, str) or not (
            _CONSTRAINT.match(version) or version.startswith("sha256:")
        ):
            raise PackageError(f"{where}: {path}.version: not a version constraint or digest")
        has_kind = bool(dependency.get("apiVersion") and dependency.get("kind"))
        if has_kind and not dependency.get("package"):
            raise PackageError(f"{where}: {path}.package: required with apiVersion and kind")
        if not has_kind and not any(dependency.get(k) for k in packages.LEGACY_DEPENDENCY_KEYS):
            raise PackageError(f"{where}: {path}: needs apiVersion, kind and package")


def package_stream(root: Path, *, display_root: Path | None = None) -> tuple[str, bytes]:
    """The package's kind and its `package.yaml`: the metadata first, then every other object.

    Reads every non-empty YAML file under `root`, like `crossplane xpkg build`.
    """
    base = display_root or root
    meta: tuple[str, dict[str, Any]] | None = None
    objects: list[tuple[str, dict[str, Any]]] = []
    files = _yaml_files(root)
    if not files:
        raise PackageError(f"{_display(root, base)}: no YAML files (expected crossplane.yaml)")
    for path in files:
        for where, document in _documents(path, _display(path, base)):
            if document["apiVersion"].split("/")[0] == META_GROUP:
                if meta is not None:
                    raise PackageError(
                        f"{where}: a second package metadata object (the first is in {meta[0]})"
                    )
                meta = (where, document)
            else:
                objects.append((where, document))
    if meta is None:
        raise PackageError(f"{_display(root, base)}: crossplane.yaml: no {META_GROUP} object")
    meta_where, meta_document = meta
    kind = meta_document["kind"]
    if kind not in ALLOWED_OBJECTS:
        raise PackageError(
            f"{meta_where}: kind: {kind} packages are not built by paved "
            f"(only {', '.join(sorted(ALLOWED_OBJECTS))})"
        )
    _check_meta(meta_where, meta_document)
    allowed = ALLOWED_OBJECTS[kind]
    for where, document in objects:
        group = document["apiVersion"].split("/")[0]
        if (group, document["kind"]) not in allowed:
            names = ", ".join(sorted(k for _, k in allowed))
            raise PackageError(
                f"{where}: kind: {document['kind']} ({document['apiVersion']}) is not allowed in a "
                f"{kind} package (only {names})"
            )
    stream = io.StringIO()
    for _, document in [meta, *objects]:
        stream.write("---\n")
        stream.write(yaml.safe_dump(document, sort_keys=True, width=100))
    return kind, stream.getvalue().encode()


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


# -- deterministic tar and gzip ---------------------------------------------------------------


def _tar(entries: list[tuple[str, bytes | None]]) -> bytes:
    """A tar of (name, content) entries, content None for a directory; fixed headers."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.mode = 0o644
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def package_layer(stream: bytes) -> Layer:
    layer_tar = _tar([(STREAM_FILE, stream)])
    blob = Blob(OCI_LAYER_GZIP, _gzip(layer_tar), {XPKG_ANNOTATION: XPKG_BASE})
    return Layer(blob, _sha256(layer_tar))


# -- runtime image tarballs -------------------------------------------------------------------


def read_runtime_image(path: Path) -> RuntimeImage:
    """An image from `docker save`, `docker buildx build --output type=docker|oci`."""
    try:
        with tarfile.open(path) as archive:
            config_bytes, layer_blobs = _read_image_archive(path, archive)
    except (OSError, tarfile.TarError) as error:
        raise PackageError(f"{path}: not an image tarball ({error})") from None
    try:
        config = json.loads(config_bytes)
    except ValueError:
        raise PackageError(f"{path}: the image config is not JSON") from None
    if not isinstance(config, dict):
        raise PackageError(f"{path}: the image config is not a JSON object")
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    if len(diff_ids) != len(layer_blobs):
        raise PackageError(
            f"{path}: rootfs.diff_ids: {len(diff_ids)} entries for {len(layer_blobs)} layers"
        )
    layers = []
    for data, diff_id in zip(layer_blobs, diff_ids, strict=True):
        if data[:2] != b"\x1f\x8b":
            if data[:4] == b"\x28\xb5\x2f\xfd":
                raise PackageError(f"{path}: zstd layers are not supported; export with gzip")
            data = _gzip(data)
        layers.append(Layer(Blob(OCI_LAYER_GZIP, data), diff_id))
    return RuntimeImage(config, layers)


def _read_image_archive(path: Path, archive: tarfile.TarFile) -> tuple[bytes, list[bytes]]:
    members = {m.name.removeprefix("./"): m for m in archive.getmembers() if m.isfile()}

    def read(name: str) -> bytes:
        member = members.get(name.removeprefix("./"))
        handle = archive.extractfile(member) if member else None
        if handle is None:
            raise PackageError(f"{path}: {name}: missing from the tarball")
        return handle.read()

    try:
        if "index.json" in members:
            return _read_oci_layout(path, read)
        if "manifest.json" in members:
            return _read_docker_archive(path, read)
    except (KeyError, TypeError, ValueError) as error:
        raise PackageError(f"{path}: not a valid image tarball ({error!r})") from None
    raise PackageError(f"{path}: neither an OCI layout (index.json) nor a docker archive")


def _read_docker_archive(path: Path, read: Callable[[str], bytes]) -> tuple[bytes, list[bytes]]:
    manifest = json.loads(read("manifest.json"))
    if not isinstance(manifest, list) or len(manifest) != 1:
        raise PackageError(f"{path}: manifest.json: holds {len(manifest)} images, expected one")
    return read(manifest[0]["Config"]), [read(layer) for layer in manifest[0]["Layers"]]


def _read_oci_layout(path: Path, read: Callable[[str], bytes]) -> tuple[bytes, list[bytes]]:
    def blob(digest: str) -> bytes:
        return read("blobs/" + digest.replace(":", "/", 1))

    descriptors = json.loads(read("index.json")).get("manifests") or []
    while True:
        images = [
            d
            for d in descriptors
            if d.get("mediaType") in _IMAGE_MANIFESTS | _INDEXES
            # BuildKit's provenance attestations sit next to the image.
            and (d.get("annotations") or {}).get("vnd.docker.reference.type")
            != "attestation-manifest"
            and (d.get("platform") or {}).get("os") != "unknown"
        ]
        if len(images) != 1:
            raise PackageError(
                f"{path}: index.json: {len(images)} images; export one platform per tarball"
            )
        if images[0]["mediaType"] in _INDEXES:
            descriptors = json.loads(blob(images[0]["digest"])).get("manifests") or []
            continue
        manifest = json.loads(blob(images[0]["digest"]))
        return blob(manifest["config"]["digest"]), [blob(d["digest"]) for d in manifest["layers"]]


# -- the image --------------------------------------------------------------------------------


def _labels(name: str, kind: str, layer: Layer) -> dict[str, str]:
    meta = packages.ANNOTATIONS
    return {
        # What `crossplane xpkg build` records and `crossplane xpkg push` turns into the
        # layer annotation (an image tarball cannot carry layer annotations).
        f"{XPKG_ANNOTATION}:{layer.blob.digest}": XPKG_BASE,
        "org.opencontainers.image.title": name,
        "org.opencontainers.image.version": tag(),
        "org.opencontainers.image.description": f"Crossplane {kind} package {name}",
        "org.opencontainers.image.source": meta["meta.crossplane.io/source"],
        "org.opencontainers.image.licenses": meta["meta.crossplane.io/license"],
    }


def image_blobs(
    name: str, kind: str, stream: bytes, runtime: RuntimeImage | None = None
) -> tuple[Blob, Blob, list[Layer]]:
    """The manifest, config and layers of the package image."""
    layer = package_layer(stream)
    if runtime is None:
        config: dict[str, Any] = {
            "architecture": "amd64",
            "os": "linux",
            "created": EPOCH,
            "config": {},
            "history": [],
        }
        base_layers: list[Layer] = []
    else:
        config = json.loads(json.dumps(runtime.config))
        base_layers = list(runtime.layers)
    layers = [*base_layers, layer]
    image_config = config.setdefault("config", {})
    image_config["Labels"] = {**(image_config.get("Labels") or {}), **_labels(name, kind, layer)}
    config["rootfs"] = {"type": "layers", "diff_ids": [item.diff_id for item in layers]}
    if isinstance(config.get("history"), list):
        config["history"].append(
            {
                "created": EPOCH,
                "created_by": f"paved package build ({STREAM_FILE})",
                "comment": "xpkg",
            }
        )
    config_blob = Blob(OCI_CONFIG, _json(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [item.blob.descriptor() for item in layers],
        "annotations": {
            "org.opencontainers.image.title": name,
            "org.opencontainers.image.version": tag(),
        },
    }
    return Blob(OCI_MANIFEST, _json(manifest)), config_blob, layers


def xpkg_archive(
    name: str, kind: str, stream: bytes, runtime: RuntimeImage | None = None
) -> tuple[bytes, str]:
    """The .xpkg file's bytes and the image (manifest) digest."""
    manifest, config, layers = image_blobs(name, kind, stream, runtime)
    reference = f"{packages.REGISTRY}/{name}:{tag()}"
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                **manifest.descriptor(),
                "annotations": {
                    "io.containerd.image.name": reference,
                    "org.opencontainers.image.ref.name": tag(),
                },
            }
        ],
    }

    def path(blob: Blob) -> str:
        return "blobs/" + blob.digest.replace(":", "/", 1)

    docker_manifest = [
        {
            "Config": path(config),
            "RepoTags": [reference],
            "Layers": [path(item.blob) for item in layers],
        }
    ]
    blobs = {path(b): b.data for b in [manifest, config, *(item.blob for item in layers)]}
    entries: list[tuple[str, bytes | None]] = [
        ("oci-layout", _json({"imageLayoutVersion": "1.0.0"})),
        ("index.json", _json(index)),
        ("manifest.json", _json(docker_manifest)),
        ("blobs/", None),
        ("blobs/sha256/", None),
        *sorted(blobs.items()),
    ]
    return _tar(entries), manifest.digest


def build(
    name: str,
    root: Path,
    output_dir: Path,
    *,
    runtime_tarball: Path | None = None,
    display_root: Path | None = None,
) -> Built:
    kind, stream = package_stream(root, display_root=display_root)
    runtime = None
    suffix = ""
    if runtime_tarball is not None:
        if kind != "Function":
            raise PackageError(f"{name}: only a Function package embeds a runtime image")
        runtime = read_runtime_image(runtime_tarball)
        suffix = f"-{runtime.config.get('architecture') or 'unknown'}"
    data, digest = xpkg_archive(name, kind, stream, runtime)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{name}-{tag()}{suffix}.xpkg"
    path.write_bytes(data)
    return Built(name, path, digest)


# -- the command ------------------------------------------------------------------------------


@click.group("package")
def package_group() -> None:
    """Build the Crossplane packages (.xpkg) without the crossplane CLI."""


@package_group.command("build")
@click.argument("names", nargs=-1, type=click.Choice(sorted(packages.PACKAGE_ROOTS)))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Where to write the .xpkg files.",
)
@click.option(
    "--embed-runtime-image-tarball",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An image tarball (docker save, buildx --output type=docker|oci) of one platform to "
    "embed in the function package as its runtime; without it the function package is "
    "metadata only and Crossplane pulls the image its DeploymentRuntimeConfig names.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path(),
    show_default=True,
    help="The repository root (holding package/).",
)
def build_command(
    names: tuple[str, ...],
    output_dir: Path,
    embed_runtime_image_tarball: Path | None,
    root: Path,
) -> None:
    """Build the function package and both Configuration packages (or the NAMES given)."""
    selected = names or tuple(packages.PACKAGE_ROOTS)
    try:
        for name in selected:
            runtime = embed_runtime_image_tarball if name == packages.FUNCTION_NAME else None
            built = build(
                name,
                root / packages.PACKAGE_ROOTS[name],
                output_dir,
                runtime_tarball=runtime,
                display_root=root,
            )
            click.echo(f"{built.path} {built.digest}")
    except PackageError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    build_command(prog_name="python -m functions.package")
