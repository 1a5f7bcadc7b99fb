"""The CRD folder's index: which file defines which group/kind, its scope and versions.

Reads only the shallow keys of each file, so indexing hundreds of CRDs stays fast; the schemas
are parsed when a kind is first validated.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Json = Any
Schema = dict[str, Any]


def _default_crds_dir() -> Path:
    configured = os.environ.get("PAVED_CRDS_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    repo_root = Path(__file__).resolve().parents[3]
    return (repo_root.parent / "shared" / "crds").resolve()


CRDS_DIR: Path = _default_crds_dir()


def crds_available() -> bool:
    """Whether the CRD folder exists and holds YAML files."""
    return CRDS_DIR.is_dir() and any(CRDS_DIR.rglob("*.yaml"))


@dataclass(frozen=True)
class _Version:
    name: str
    served: bool
    storage: bool
    deprecated: bool


@dataclass(frozen=True)
class CRDFile:
    path: Path
    group: str
    kind: str
    scope: str
    versions: dict[str, _Version]

    def preferred_version(self) -> str | None:
        """Storage version unless deprecated, else the last served, non-deprecated one."""
        usable = [v for v in self.versions.values() if v.served and not v.deprecated]
        for version in usable:
            if version.storage:
                return version.name
        return usable[-1].name if usable else None


# Keys indented 0, 2 or 4 spaces (or a "  - " list item): enough to read
# group, names.kind, scope and the per-version flags without parsing schemas.
_SHALLOW_KEY = re.compile(r"^( {0,4}|  - )([A-Za-z]+):(?: +(.*?))?[ \t\r]*$", re.M)
_DOC_SEPARATOR = re.compile(r"^---", re.M)


def _scan_crd(path: Path, text: str) -> CRDFile | None:
    """Read the CRD's identity from its shallow keys; None if the layout is unusual."""
    fields: dict[str, str] = {}
    versions: list[dict[str, str]] = []
    in_spec = False
    section = ""
    for match in _SHALLOW_KEY.finditer(text):
        indent, key = match.group(1), match.group(2)
        value = (match.group(3) or "").strip("'\"")
        if indent == "":
            in_spec = key == "spec"
            if key == "kind":
                fields["crd_kind"] = value
        elif not in_spec:
            continue
        elif indent == "  ":
            section = key
            if key in ("group", "scope"):
                fields[key] = value
        elif section == "names" and indent == "    " and key == "kind":
            fields["kind"] = value
        elif section == "versions":
            if indent == "  - ":
                versions.append({})
            if versions:
                versions[-1][key] = value
    required = ("group", "kind", "scope")
    if fields.get("crd_kind") != "CustomResourceDefinition" or not all(
        k in fields for k in required
    ):
        return None
    if not versions or not all("name" in v for v in versions):
        return None
    return CRDFile(
        path=path,
        group=fields["group"],
        kind=fields["kind"],
        scope=fields["scope"],
        versions={
            v["name"]: _Version(
                name=v["name"],
                served=v.get("served") == "true",
                storage=v.get("storage") == "true",
                deprecated=v.get("deprecated") == "true",
            )
            for v in versions
        },
    )


def _crd_from_document(path: Path, doc: Json) -> CRDFile | None:
    if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
        return None
    spec = doc["spec"]
    return CRDFile(
        path=path,
        group=spec["group"],
        kind=spec["names"]["kind"],
        scope=spec["scope"],
        versions={
            v["name"]: _Version(
                name=v["name"],
                served=bool(v.get("served")),
                storage=bool(v.get("storage")),
                deprecated=bool(v.get("deprecated")),
            )
            for v in spec["versions"]
        },
    )


def load_documents(path: Path) -> list[Json]:
    return list(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))


def index_file(path: Path) -> list[CRDFile]:
    text = path.read_text()
    single_document = len(_DOC_SEPARATOR.findall(text.lstrip("\n").removeprefix("---"))) == 0
    scanned = _scan_crd(path, text) if single_document else None
    if scanned is not None:
        return [scanned]
    crds = (_crd_from_document(path, doc) for doc in load_documents(path))
    return [crd for crd in crds if crd is not None]
