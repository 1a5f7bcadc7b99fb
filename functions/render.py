"""`paved render`: what `crossplane render` prints, without Docker or a cluster.

Same arguments and flags where they overlap with `crossplane render` (crossplane/cli
cmd/crossplane/render/xr), same output: the XR (name and status, with its `Ready` condition),
then each composed resource with the metadata Crossplane gives it (`crossplane.io/composite` and
claim labels, `crossplane.io/composition-resource-name`, a controller owner reference,
`generateName` when it has no name), sorted by composition resource name, then `Result`s (`-r`)
and the `Context` (`-c`). Paved runs in-process instead of in a container; `--until-ready`
replays reconciles with providers that make everything Ready.

Every error is a `RenderError`: one line naming the file and the field.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions import simulate
from functions.blueprints import BLUEPRINTS
from functions.kit.blueprint import GROUP, VERSION
from functions.kit.composite import CLAIM_NAME_LABEL
from functions.kit.observed import lookup
from functions.package_meta import FUNCTION_NAME
from functions.runner import FunctionRunner
from functions.simulate.apiserver import composed_metadata

API_VERSION = f"{GROUP}/{VERSION}"
RENDER_API_VERSION = "render.crossplane.io/v1beta1"
# crossplane render's stand-in for lastTransitionTime: a real time would be noise.
CONDITION_TIME = "2024-01-01T00:00:00Z"
COMPOSITION_RESOURCE_NAME = simulate.COMPOSITION_RESOURCE_NAME
DEFAULT_STEP = "compose"
# Crossplane reserves these condition types; a function cannot set them on the XR.
SYSTEM_CONDITIONS = {"Ready", "Synced", "Healthy"}
XR_KINDS = {b.kind: b for b in BLUEPRINTS.values()}
CLAIM_KINDS = {b.claim_kind: b for b in BLUEPRINTS.values()}
# How many times the function may ask for required resources before render gives up.
MAX_REQUIREMENT_ROUNDS = 5


class RenderError(Exception):
    """Bad input: one line naming the file and field."""

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))


@dataclass
class Options:
    observed_resources: str | None = None
    required_resources: list[str] = field(default_factory=list)
    include_function_results: bool = False
    include_context: bool = False
    include_full_xr: bool = False
    until_ready: bool = False
    no_xr: bool = False
    xrd: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rendered:
    documents: list[dict[str, Any]]
    warnings: list[str]
    fatal: str | None = None
    notes: list[str] = field(default_factory=list)


# -- reading files ----------------------------------------------------------------------------


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise RenderError(f"{path}: cannot read: {reason}") from None


class _KubernetesLoader(yaml.SafeLoader):
    """YAML as Kubernetes reads it: timestamps stay strings (JSON has no dates)."""


_KubernetesLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _as_json(value: Any, where: str) -> Any:
    """Only what JSON (and so a protobuf Struct) can hold."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as error:
        raise RenderError(f"{where}: not representable as JSON ({error})") from None


def _parse(text: str, where: str) -> list[Any]:
    if text.lstrip().startswith(("{", "[")):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            pass  # YAML flow style, e.g. {kind: XBucket}
        else:
            return value if isinstance(value, list) else [value]
    try:
        return [_as_json(d, where) for d in yaml.load_all(text, Loader=_KubernetesLoader)]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise RenderError(f"{where}{line}: not valid YAML: {problem}") from None


def load_objects(path: str) -> list[tuple[str, dict[str, Any]]]:
    """Every object in a YAML (multi-document) or JSON file, a folder of them, or stdin (`-`).

    Returns (where, object) pairs; `where` names the file and, in a stream, the document.
    """
    if path != "-" and Path(path).is_dir():
        files = sorted(
            p
            for p in Path(path).iterdir()
            if p.is_file() and p.suffix in (".yaml", ".yml", ".json")
        )
        return [item for file in files for item in load_objects(str(file))]
    where = "stdin" if path == "-" else path
    documents = [d for d in _parse(_read_text(path), where) if d is not None]
    objects: list[tuple[str, dict[str, Any]]] = []
    for index, document in enumerate(documents):
        at = f"{where} (document {index + 1})" if len(documents) > 1 else where
        if not isinstance(document, dict):
            raise RenderError(f"{at}: not a Kubernetes object")
        if document.get("kind") == "List" and isinstance(document.get("items"), list):
            objects += [(f"{at} items[{i}]", item) for i, item in enumerate(document["items"])]
        else:
            objects.append((at, document))
    for at, document in objects:
        if not isinstance(document, dict):
            raise RenderError(f"{at}: not a Kubernetes object")
        for key in ("apiVersion", "kind"):
            if not isinstance(document.get(key), str) or not document[key]:
                raise RenderError(f"{at}: {key}: required")
        _check_shape(at, document)
    return objects


def _check_shape(at: str, document: dict[str, Any]) -> None:
    """The object fields render reads have the types Kubernetes gives them."""
    metadata = document.get("metadata")
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise RenderError(f"{at}: metadata: must be an object")
    for key in ("name", "namespace", "generateName", "uid"):
        if metadata.get(key) is not None and not isinstance(metadata[key], str):
            raise RenderError(f"{at}: metadata.{key}: must be a string")
    for key in ("labels", "annotations"):
        value = metadata.get(key)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise RenderError(f"{at}: metadata.{key}: must map strings to strings")
    owners = metadata.get("ownerReferences")
    if owners is not None and (
        not isinstance(owners, list) or not all(isinstance(o, dict) for o in owners)
    ):
        raise RenderError(f"{at}: metadata.ownerReferences: must be a list of objects")


def _mapping(value: Any, where: str, path: str) -> dict[str, Any]:
    """`value` as an object ({} when absent); anything else is an error naming `path`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RenderError(f"{where}: {path}: must be an object")
    return value


def _load_one(path: str, what: str) -> tuple[str, dict[str, Any]]:
    objects = load_objects(path)
    if len(objects) != 1:
        where = "stdin" if path == "-" else path
        raise RenderError(f"{where}: expected one {what}, found {len(objects)} objects")
    return objects[0]


def _load_crossplane_object(path: str, kind: str) -> tuple[str, dict[str, Any]]:
    """The one `kind` of apiextensions.crossplane.io in the file at `path`."""
    where, document = _load_one(path, kind)
    if document["kind"] != kind or not document["apiVersion"].startswith(
        "apiextensions.crossplane.io/"
    ):
        raise RenderError(f"{where}: kind: {document['kind']} is not a {kind}")
    return where, document


def _metadata(document: dict[str, Any]) -> dict[str, Any]:
    return document.get("metadata") or {}


# -- the XR -----------------------------------------------------------------------------------


@dataclass
class Composite:
    where: str
    xr: dict[str, Any]  # what the function sees: a claim becomes its cluster-scoped XR
    blueprint_kind: str


def load_composite(
    path: str, xrd_path: str | None = None, composition_api_version: str | None = None
) -> Composite:
    """The XR (or claim) to render. Its apiVersion is Paved's default API, or the one the XRD
    or Composition generated for another group (`paved generate --group`) defines."""
    where, document = _load_one(path, "claim or composite resource")
    kind = document["kind"]
    if kind not in XR_KINDS and kind not in CLAIM_KINDS:
        known = ", ".join(sorted({*XR_KINDS, *CLAIM_KINDS}))
        raise RenderError(f"{where}: kind: {kind} is not a Paved XR or claim ({known})")
    scope, api_versions = _load_xrd(xrd_path, kind) if xrd_path else (None, set())
    allowed = {API_VERSION, *api_versions}
    if composition_api_version:
        allowed.add(composition_api_version)
    if document["apiVersion"] not in allowed:
        raise RenderError(
            f"{where}: apiVersion: {document['apiVersion']} is not {API_VERSION} (for another "
            "API group, pass the Composition or --xrd generated for it)"
        )
    metadata = _metadata(document)
    if not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise RenderError(f"{where}: metadata.name: required")
    namespace = metadata.get("namespace")
    _mapping(document.get("spec"), where, "spec")
    if kind in CLAIM_KINDS:
        if not namespace:
            raise RenderError(f"{where}: metadata.namespace: required: claims are namespaced")
        return Composite(where, simulate.claim_to_xr(document), "X" + kind)
    spec = _mapping(document.get("spec"), where, "spec")
    claim_ref = _mapping(spec.get("claimRef"), where, "spec.claimRef")
    _mapping(spec.get("compositionSelector"), where, "spec.compositionSelector")
    claimed = bool(claim_ref) or CLAIM_NAME_LABEL in (metadata.get("labels") or {})
    if scope == "Namespaced" and not namespace:
        raise RenderError(
            f"{where}: metadata.namespace: required: {kind} is namespaced in {xrd_path}"
        )
    if scope in ("Cluster", "LegacyCluster") and namespace:
        raise RenderError(
            f"{where}: metadata.namespace: {kind} is cluster-scoped in {xrd_path}; remove it"
        )
    if scope is None and not namespace and not claimed:
        raise RenderError(
            f"{where}: metadata.namespace: required: a namespaced {kind} needs one (namespaced "
            f"mode); for claim mode render its claim, or pass --xrd xrds/claim/{kind.lower()}.yaml"
        )
    return Composite(where, copy.deepcopy(document), kind)


def _load_xrd(path: str, kind: str) -> tuple[str, set[str]]:
    """The scope an XRD gives `kind` and the apiVersions it serves."""
    where, xrd = _load_crossplane_object(path, "CompositeResourceDefinition")
    api_version = xrd["apiVersion"]
    spec = _mapping(xrd.get("spec"), where, "spec")
    names = _mapping(spec.get("names"), where, "spec.names")
    claim_names = _mapping(spec.get("claimNames"), where, "spec.claimNames")
    defined = {names.get("kind"), claim_names.get("kind")}
    if kind not in defined:
        raise RenderError(f"{where}: spec.names.kind: defines {names.get('kind')}, not {kind}")
    versions = spec.get("versions") or []
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise RenderError(f"{where}: spec.versions: must be a list of objects")
    served = {f"{spec.get('group')}/{v.get('name')}" for v in versions}
    default = "LegacyCluster" if api_version.endswith("/v1") else "Namespaced"
    return str(spec.get("scope") or default), served


def _composition_api_version(path: str | None) -> str | None:
    if path is None:
        return None
    where, composition = _load_one(path, "Composition")
    spec = _mapping(composition.get("spec"), where, "spec")
    ref = _mapping(spec.get("compositeTypeRef"), where, "spec.compositeTypeRef")
    api_version = ref.get("apiVersion")
    return api_version if isinstance(api_version, str) else None


# -- the Composition and the Functions --------------------------------------------------------


@dataclass
class Pipeline:
    step: str = DEFAULT_STEP
    input: dict[str, Any] | None = None


def load_pipeline(composition_path: str | None, xr: Composite) -> Pipeline:
    if composition_path is None:
        return Pipeline()
    where, composition = _load_crossplane_object(composition_path, "Composition")
    spec = _mapping(composition.get("spec"), where, "spec")
    ref = _mapping(spec.get("compositeTypeRef"), where, "spec.compositeTypeRef")
    xr_kind, xr_api_version = xr.xr["kind"], xr.xr["apiVersion"]
    if ref.get("kind") != xr_kind:
        raise RenderError(
            f"{where}: spec.compositeTypeRef.kind: {ref.get('kind')} does not match the XR's "
            f"kind {xr_kind}"
        )
    if ref.get("apiVersion") != xr_api_version:
        raise RenderError(
            f"{where}: spec.compositeTypeRef.apiVersion: {ref.get('apiVersion')} does not match "
            f"the XR's apiVersion {xr_api_version}"
        )
    selector = _mapping(
        _mapping((xr.xr.get("spec") or {}).get("compositionSelector"), xr.where, "spec").get(
            "matchLabels"
        ),
        xr.where,
        "spec.compositionSelector.matchLabels",
    )
    labels = _metadata(composition).get("labels") or {}
    for key, value in (selector or {}).items():
        if labels.get(key) != value:
            raise RenderError(
                f"{where}: metadata.labels[{key}]: the XR's compositionSelector wants {value!r}, "
                f"the Composition has {labels.get(key)!r}"
            )
    if spec.get("mode") != "Pipeline":
        raise RenderError(f"{where}: spec.mode: must be Pipeline (render runs function pipelines)")
    steps = spec.get("pipeline") or []
    if not isinstance(steps, list) or not steps:
        raise RenderError(f"{where}: spec.pipeline: required")
    pipeline: Pipeline | None = None
    for index, step in enumerate(steps):
        at = f"spec.pipeline[{index}]"
        step = _mapping(step, where, at)
        name = _mapping(step.get("functionRef"), where, f"{at}.functionRef").get("name")
        if name != FUNCTION_NAME:
            raise RenderError(
                f"{where}: spec.pipeline[{index}].functionRef.name: {name} is not "
                f"{FUNCTION_NAME}; paved render runs only Paved (use crossplane render)"
            )
        if pipeline is not None:
            raise RenderError(f"{where}: spec.pipeline[{index}]: {FUNCTION_NAME} runs once")
        step_input = step.get("input")
        if step_input is not None:
            _mapping(step_input, where, f"{at}.input")
        pipeline = Pipeline(str(step.get("step") or DEFAULT_STEP), step_input)
    assert pipeline is not None
    return pipeline


def check_functions(path: str | None) -> None:
    if path is None:
        return
    names = []
    for where, function in load_objects(path):
        if function["kind"] != "Function" or not function["apiVersion"].startswith(
            "pkg.crossplane.io/"
        ):
            raise RenderError(
                f"{where}: kind: {function['kind']} is not a pkg.crossplane.io/Function"
            )
        names.append(_metadata(function).get("name"))
    if FUNCTION_NAME not in names:
        raise RenderError(f"{path}: no Function named {FUNCTION_NAME} (found {names})")


# -- observed and required resources ----------------------------------------------------------


def load_observed(path: str | None, xr: Composite) -> dict[str, tuple[str, dict[str, Any]]]:
    observed: dict[str, tuple[str, dict[str, Any]]] = {}
    if path is None:
        return observed
    namespace = _metadata(xr.xr).get("namespace")
    for where, resource in load_objects(path):
        metadata = _metadata(resource)
        key = (metadata.get("annotations") or {}).get(COMPOSITION_RESOURCE_NAME)
        if not key:
            raise RenderError(
                f"{where}: metadata.annotations[{COMPOSITION_RESOURCE_NAME}]: required (which "
                "composed resource this is)"
            )
        if namespace and metadata.get("namespace") != namespace:
            raise RenderError(
                f"{where}: metadata.namespace: {metadata.get('namespace')} is not the XR's "
                f"namespace {namespace}"
            )
        if key in observed:
            raise RenderError(f"{where}: {key} is observed twice (also in {observed[key][0]})")
        observed[key] = (where, resource)
    return observed


def load_required(paths: Iterable[str]) -> list[dict[str, Any]]:
    return [resource for path in paths for _, resource in load_objects(path)]


def _matches(selector: fnv1.ResourceSelector, resource: dict[str, Any]) -> bool:
    metadata = _metadata(resource)
    if (resource.get("apiVersion"), resource.get("kind")) != (selector.api_version, selector.kind):
        return False
    if selector.HasField("namespace") and metadata.get("namespace") != selector.namespace:
        return False
    if selector.HasField("match_name"):
        return metadata.get("name") == selector.match_name
    labels = metadata.get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.match_labels.labels.items())


def _requested(
    rsp: fnv1.RunFunctionResponse, supplied: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    selectors = {**dict(rsp.requirements.extra_resources), **dict(rsp.requirements.resources)}
    return {
        name: [r for r in supplied if _matches(selector, r)]
        for name, selector in sorted(selectors.items())
    }


# -- output -----------------------------------------------------------------------------------


def _first_n_and_some_more(names: list[str], n: int = 3) -> str:
    """crossplane-runtime's resource.StableNAndSomeMore."""
    names = sorted(names)
    if len(names) > n:
        return f"{', '.join(names[:n])}, and {len(names) - n} more"
    if len(names) == n:
        return f"{', '.join(names[: n - 1])}, and {names[n - 1]}"
    return ", ".join(names)


def _condition(type_: str, status: str, reason: str, message: str = "") -> dict[str, Any]:
    condition = {
        "type": type_,
        "status": status,
        "reason": reason,
        "lastTransitionTime": CONDITION_TIME,
    }
    if message:
        condition["message"] = message
    return condition


def rendered_xr(xr: dict[str, Any], rsp: fnv1.RunFunctionResponse, *, full: bool) -> dict[str, Any]:
    """The XR as crossplane render prints it: the function's desired XR, named, with conditions."""
    desired = lookup(rsp.desired.composite.resource)
    metadata = _metadata(xr)
    out: dict[str, Any] = {**desired, "apiVersion": xr["apiVersion"], "kind": xr["kind"]}
    out["metadata"] = {**_metadata(desired), "name": metadata["name"]}
    if metadata.get("namespace"):
        out["metadata"]["namespace"] = metadata["namespace"]
    if full:
        out["metadata"] = copy.deepcopy(metadata)
        out["spec"] = copy.deepcopy(xr.get("spec") or {})
    unready = [k for k, r in rsp.desired.resources.items() if r.ready != fnv1.READY_TRUE]
    if rsp.desired.composite.ready == fnv1.READY_FALSE:
        ready = _condition("Ready", "False", "Creating")
    elif rsp.desired.composite.ready == fnv1.READY_UNSPECIFIED and unready:
        ready = _condition(
            "Ready", "False", "Creating", f"Unready resources: {_first_n_and_some_more(unready)}"
        )
    else:
        ready = _condition("Ready", "True", "Available")
    conditions = [ready]
    for c in rsp.conditions:
        if c.type in SYSTEM_CONDITIONS:
            continue
        status = fnv1.Status.Name(c.status).removeprefix("STATUS_CONDITION_").title()
        conditions = [x for x in conditions if x["type"] != c.type]
        conditions.append(
            _condition(
                c.type, status if status != "Unspecified" else "Unknown", c.reason, c.message
            )
        )
    out["status"] = {**(out.get("status") or {}), "conditions": conditions}
    return out


def _result(step: str, result: fnv1.Result) -> dict[str, Any]:
    return {
        "apiVersion": RENDER_API_VERSION,
        "kind": "Result",
        "step": step,
        "severity": fnv1.Severity.Name(result.severity),
        "message": result.message,
    }


# -- render -----------------------------------------------------------------------------------


def _run(
    runner: FunctionRunner,
    xr: dict[str, Any],
    observed: Mapping[str, simulate.ObservedResource],
    supplied: list[dict[str, Any]],
    pipeline: Pipeline,
    context: dict[str, Any],
) -> tuple[fnv1.RunFunctionRequest, fnv1.RunFunctionResponse, dict[str, list[dict[str, Any]]]]:
    """Run the function, answering its requests for required resources from `supplied`."""
    required: dict[str, list[dict[str, Any]]] = {}
    for _ in range(MAX_REQUIREMENT_ROUNDS):
        req = simulate.request(xr, observed, required=required, input_=pipeline.input)
        if context:
            req.context.update(context)
        rsp = runner.run(req)
        requested = _requested(rsp, supplied)
        if _fatal(rsp) or all(required.get(k) == v for k, v in requested.items()):
            break
        # Like Crossplane: what is asked for and not supplied is answered with nothing.
        required.update(requested)
    return req, rsp, required


def render(
    composite_path: str,
    composition_path: str | None = None,
    functions_path: str | None = None,
    options: Options | None = None,
) -> Rendered:
    options = options or Options()
    composite = load_composite(
        composite_path, options.xrd, _composition_api_version(composition_path)
    )
    pipeline = load_pipeline(composition_path, composite)
    check_functions(functions_path)
    observed_files = load_observed(options.observed_resources, composite)
    supplied = load_required(options.required_resources)
    observed = {k: simulate.ObservedResource(r) for k, (_, r) in observed_files.items()}
    runner = FunctionRunner()
    xr = composite.xr
    req, rsp, required = _run(runner, xr, observed, supplied, pipeline, options.context)
    warnings: list[str] = []
    notes: list[str] = []
    if options.until_ready and not _fatal(rsp):
        rounds = simulate.replay(runner.run, xr, required=required)
        req, rsp = rounds[-1].request, rounds[-1].response
        observed_files = {}
        composed: set[str] = set()
        for number, round_ in enumerate(rounds, 1):
            # The stage order: what each reconcile composed first.
            new = sorted(set(round_.response.desired.resources) - composed)
            composed.update(new)
            if new:
                notes.append(f"reconcile {number} composes: {', '.join(new)}")
        notes.append(f"{len(rounds)} reconciles until nothing changed")
    fatal = _fatal(rsp)
    for result in rsp.results:
        if result.severity == fnv1.SEVERITY_WARNING:
            warnings.append(f"{composite.where}: {_one_line(result.message)}")
    if fatal:
        return Rendered(
            [],
            warnings,
            f'{composite.where}: pipeline step "{pipeline.step}" returned a fatal result: {fatal}',
        )
    desired = simulate.desired_resources(rsp)
    progress = lookup(rsp.desired.composite.resource, "status", "progress")
    kept_list = progress.get("kept") if isinstance(progress, dict) else None
    kept = {k.get("resource") for k in kept_list or [] if isinstance(k, dict)}
    for key, (where, resource) in sorted(observed_files.items()):
        if key not in desired:
            warnings.append(
                f"{where}: observed {resource['kind']} {key!r} matches no composed resource: "
                "Crossplane would delete it"
            )
        elif key in kept:
            warnings.append(
                f"{where}: observed {resource['kind']} {key!r} matches no composed resource: "
                f"kept as observed so that Crossplane does not delete it"
            )
    documents: list[dict[str, Any]] = []
    if not options.no_xr:
        documents.append(rendered_xr(xr, rsp, full=options.include_full_xr))
    observed_now = {key: lookup(item.resource) for key, item in req.observed.resources.items()}
    for key, resource in sorted(desired.items()):
        documents.append(composed_metadata(resource, xr, key, observed_now.get(key)))
    if options.include_function_results:
        documents += [
            _result(pipeline.step, r) for r in rsp.results if r.severity != fnv1.SEVERITY_FATAL
        ]
    if options.include_context:
        documents.append(
            {"apiVersion": RENDER_API_VERSION, "kind": "Context", "fields": lookup(rsp.context)}
        )
    return Rendered(documents, warnings, notes=notes)


def _fatal(rsp: fnv1.RunFunctionResponse) -> str | None:
    messages = [_one_line(r.message) for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
    return "; ".join(messages) or None


def _one_line(message: str) -> str:
    """A message on one line, even when it quotes input holding line breaks."""
    return message.translate(_LINE_BREAKS)


# Everything str.splitlines() breaks at, escaped.
_LINE_BREAKS = {
    ord(c): c.encode("unicode_escape").decode() for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
}


def to_yaml(documents: list[dict[str, Any]]) -> str:
    return "".join("---\n" + yaml.safe_dump(d, sort_keys=True) for d in documents)


def parse_context(
    files: Iterable[tuple[str, str]], values: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """--context-files and --context-values: key=JSON/YAML; values win over files."""
    context: dict[str, Any] = {}
    for flag, pairs in (("--context-files", files), ("--context-values", values)):
        for key, raw in pairs:
            text = _read_text(raw) if flag == "--context-files" else raw
            try:
                value = yaml.load(text, Loader=_KubernetesLoader)
            except yaml.YAMLError:
                raise RenderError(f"{flag}: {key}: not valid JSON or YAML") from None
            context[key] = _as_json(value, f"{flag}: {key}")
    return context
