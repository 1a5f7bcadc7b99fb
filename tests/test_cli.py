"""`paved render` and `paved generate`, as a platform engineer runs them."""

from __future__ import annotations

import json
import re
import shlex
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.compose import EXAMPLES, REPO

from functions.cli import main
from functions.render import composed_metadata
from functions.version import tag


def _render(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(main, ["render", *args])
    documents = [d for d in yaml.safe_load_all(result.stdout) if d] if result.stdout else []
    return result.exit_code, documents


def test_render_a_claim_shows_the_xr_and_the_first_stage() -> None:
    code, documents = _render(str(EXAMPLES / "bucket/claim.yaml"))
    assert code == 0
    xr, *composed = documents
    assert xr["kind"] == "XBucket"
    assert xr["status"]["progress"]["total"] == 9  # with the Usage holding the KMS key
    assert {d["kind"] for d in composed} == {"Bucket", "Key"}
    assert all(
        d["apiVersion"].endswith(".aws.upbound.io/v1beta2") or d["kind"] == "Key" for d in composed
    )


def test_render_a_namespaced_xr_until_ready() -> None:
    code, documents = _render(str(EXAMPLES / "bucket/xr.yaml"), "--until-ready", "--no-xr")
    assert code == 0
    assert {d["metadata"]["namespace"] for d in documents} == {"team-a"}
    assert len(documents) == 9


def test_render_with_observed_resources(tmp_path: Path) -> None:
    _, first = _render(str(EXAMPLES / "bucket/xr.yaml"), "--no-xr")
    bucket = next(d for d in first if d["kind"] == "Bucket")
    bucket["status"] = {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}
    observed = tmp_path / "observed.yaml"
    observed.write_text(yaml.safe_dump(bucket))
    _, documents = _render(str(EXAMPLES / "bucket/xr.yaml"), "--observed", str(observed), "--no-xr")
    assert "BucketVersioning" in {d["kind"] for d in documents}


def test_render_bad_input_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    claim = tmp_path / "claim.yaml"
    claim.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "platform.paved.dev/v1alpha1",
                "kind": "Bucket",
                "metadata": {"name": "b", "namespace": "n"},
                "spec": {"parameters": {}},
            }
        )
    )
    result = CliRunner().invoke(main, ["render", str(claim)])
    assert result.exit_code == 1
    assert "spec.parameters.region: field required" in result.stderr


def test_generate_check_passes_on_the_committed_files() -> None:
    result = CliRunner().invoke(main, ["generate", "--check", "--root", str(REPO)])
    assert result.exit_code == 0, result.output


# -- `paved render` speaks `crossplane render` --------------------------------------------------

XR = str(EXAMPLES / "bucket/xr.yaml")
CLAIM = str(EXAMPLES / "bucket/claim.yaml")
COMPOSITION = str(REPO / "compositions/xbucket.yaml")
FUNCTIONS = str(EXAMPLES / "functions.yaml")
OBSERVED = EXAMPLES / "bucket/observed"


def _invoke(*args: str, stdin: str | None = None) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(main, ["render", *args], input=stdin)
    documents = [d for d in yaml.safe_load_all(result.stdout) if d] if result.stdout else []
    assert "Traceback" not in result.output
    return result.exit_code, documents, result.stderr


def test_crossplane_renders_command_line_prints_the_xr_then_composed_resources() -> None:
    code, documents, _ = _invoke(XR, COMPOSITION, FUNCTIONS)
    assert code == 0
    xr, *composed = documents
    assert xr["metadata"] == {"name": "team-assets", "namespace": "team-a"}
    assert set(xr) == {"apiVersion", "kind", "metadata", "status"}  # no spec without -x
    (ready,) = [c for c in xr["status"]["conditions"] if c["type"] == "Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "Creating")
    assert ready["lastTransitionTime"] == "2024-01-01T00:00:00Z"
    names = [
        d["metadata"]["annotations"]["crossplane.io/composition-resource-name"] for d in composed
    ]
    assert names == sorted(names) == ["bucket", "connection-secret", "kms-key"]
    uid = str(
        uuid.uuid5(
            uuid.UUID(int=0),
            "platform.paved.dev/v1alpha1, Kind=XBucket\x00team-a\x00team-assets",
        )
    )
    for resource in composed:
        metadata = resource["metadata"]
        assert metadata["namespace"] == "team-a"
        assert metadata["labels"]["crossplane.io/composite"] == "team-assets"
        assert "crossplane.io/claim-name" not in metadata["labels"]
        assert metadata["ownerReferences"] == [
            {
                "apiVersion": "platform.paved.dev/v1alpha1",
                "kind": "XBucket",
                "name": "team-assets",
                "uid": uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        # Paved names what it composes, so Crossplane generates no name (generateName unset).
        assert metadata["name"].startswith("team-assets-") and "generateName" not in metadata


def test_a_resource_without_a_name_gets_generate_name_like_crossplane_gives_it() -> None:
    xr = {
        "apiVersion": "platform.paved.dev/v1alpha1",
        "kind": "XBucket",
        "metadata": {"name": "b-x1", "labels": {"crossplane.io/composite": "b-x1"}},
        "spec": {"claimRef": {"name": "b", "namespace": "team-a"}},
    }
    resource = composed_metadata({"apiVersion": "v1", "kind": "ConfigMap"}, xr, "cm", None)
    assert resource["metadata"]["generateName"] == "b-x1-"
    assert resource["metadata"]["labels"] == {
        "crossplane.io/composite": "b-x1",
        "crossplane.io/claim-name": "b",
        "crossplane.io/claim-namespace": "team-a",
    }
    assert resource["metadata"]["annotations"] == {"crossplane.io/composition-resource-name": "cm"}


def test_a_claims_composed_resources_carry_the_claim_labels() -> None:
    code, documents, _ = _invoke(CLAIM)
    assert code == 0
    for resource in documents[1:]:
        assert resource["metadata"]["labels"]["crossplane.io/claim-name"] == "team-assets"
        assert resource["metadata"]["labels"]["crossplane.io/claim-namespace"] == "team-a"


def test_include_full_xr_adds_spec_and_metadata() -> None:
    _, (xr, *_), _ = _invoke(XR, "-x")
    assert xr["spec"]["parameters"]["region"] == "eu-west-1"
    assert xr["status"]["progress"]["total"] == 9  # with the Usage holding the KMS key


def test_observed_resources_from_a_folder_or_a_file_advance_the_composition(
    tmp_path: Path,
) -> None:
    _, from_folder, _ = _invoke(XR, COMPOSITION, FUNCTIONS, "-o", str(OBSERVED))
    stream = tmp_path / "observed.yaml"
    stream.write_text("".join("---\n" + p.read_text() for p in sorted(OBSERVED.iterdir())))
    _, from_file, _ = _invoke(XR, "--observed-resources", str(stream))
    assert from_folder == from_file
    kinds = {d["kind"] for d in from_folder}
    assert {"BucketVersioning", "BucketPublicAccessBlock", "BucketPolicy"} <= kinds
    bucket = next(d for d in from_folder if d["kind"] == "Bucket")
    assert "status" not in bucket  # desired state, as crossplane render prints it


def test_an_observed_resource_matching_nothing_composed_is_a_warning(tmp_path: Path) -> None:
    stray = yaml.safe_load((OBSERVED / "bucket.yaml").read_text())
    stray["metadata"]["annotations"]["crossplane.io/composition-resource-name"] = "old-bucket"
    path = tmp_path / "stray.yaml"
    path.write_text(yaml.safe_dump(stray))
    code, documents, stderr = _invoke(XR, "-o", str(path))
    assert code == 0 and documents
    # Paved keeps what it no longer plans instead of letting Crossplane delete it; render says
    # which observed file holds it.
    assert (
        f"warning: {path}: observed Bucket 'old-bucket' matches no composed resource: kept as "
        "observed so that Crossplane does not delete it"
    ) in stderr


def test_required_resources_answer_what_the_function_asks_for(tmp_path: Path) -> None:
    database = str(EXAMPLES / "database/xr-postgres.yaml")
    code, _, stderr = _invoke(database)
    assert code == 1
    assert stderr.strip() == (
        f'error: {database}: pipeline step "compose" returned a fatal result: '
        "spec.parameters.network.clusterRef.name: no XCluster named platform in namespace team-a"
    )
    cluster = tmp_path / "cluster.json"
    cluster.write_text(
        json.dumps(
            {
                "apiVersion": "platform.paved.dev/v1alpha1",
                "kind": "XCluster",
                "metadata": {"name": "platform", "namespace": "team-a"},
                "status": {"cluster": {"vpcId": "vpc-1", "privateSubnetIds": ["subnet-1"]}},
            }
        )
    )
    for flag in ("-e", "--required-resources", "--extra-resources"):
        code, documents, stderr = _invoke(database, flag, str(cluster), "-r")
        assert code == 0, stderr
        (result,) = [d for d in documents if d["kind"] == "Result"]
        assert result["apiVersion"] == "render.crossplane.io/v1beta1"
        assert result["step"] == "compose" and result["severity"] == "SEVERITY_NORMAL"
        assert "nodeSecurityGroupId" in result["message"]


def test_include_context_prints_the_context_passed_in() -> None:
    _, documents, _ = _invoke(
        XR,
        "--context-values",
        'apiextensions.crossplane.io/environment={"key": "value"}',
        "--include-context",
    )
    assert documents[-1] == {
        "apiVersion": "render.crossplane.io/v1beta1",
        "kind": "Context",
        "fields": {"apiextensions.crossplane.io/environment": {"key": "value"}},
    }


def test_json_and_stdin_are_read_like_yaml(tmp_path: Path) -> None:
    xr = yaml.safe_load(Path(XR).read_text())
    as_json = tmp_path / "xr.json"
    as_json.write_text(json.dumps(xr))
    _, from_yaml, _ = _invoke(XR)
    _, from_json, _ = _invoke(str(as_json))
    _, from_stdin, _ = _invoke("-", stdin=yaml.safe_dump(xr))
    assert from_yaml == from_json == from_stdin


def _xr_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "xr.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: platform.paved.dev/v1beta1\nkind: XBucket\nmetadata: {name: b}\n",
            "apiVersion: platform.paved.dev/v1beta1 is not platform.paved.dev/v1alpha1",
        ),
        (
            "apiVersion: platform.paved.dev/v1alpha1\nkind: XQueue\nmetadata: {name: b}\n",
            "kind: XQueue is not a Paved XR or claim",
        ),
        (
            "apiVersion: platform.paved.dev/v1alpha1\nkind: XBucket\nmetadata: {name: b}\n",
            "metadata.namespace: required: a namespaced XBucket needs one",
        ),
        (
            "apiVersion: platform.paved.dev/v1alpha1\nkind: Bucket\nmetadata: {name: b}\n",
            "metadata.namespace: required: claims are namespaced",
        ),
        ("kind: XBucket\nmetadata: {name: b}\n", "apiVersion: required"),
        (
            "apiVersion: platform.paved.dev/v1alpha1\nkind: XBucket\nmetadata: {name: b}\n---\n"
            "apiVersion: platform.paved.dev/v1alpha1\nkind: XBucket\nmetadata: {name: c}\n",
            "expected one claim or composite resource, found 2 objects",
        ),
        ("spec: [unclosed\n", "not valid YAML"),
    ],
    ids=["apiVersion", "kind", "xr-namespace", "claim-namespace", "no-apiVersion", "two", "yaml"],
)
def test_bad_input_is_one_line_naming_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _xr_file(tmp_path, text)
    code, documents, stderr = _invoke(path)
    assert (code, documents) == (1, [])
    (line,) = stderr.strip().splitlines()
    assert line.startswith(f"error: {path}") and message in line


def test_a_cluster_scoped_xr_renders_in_claim_mode_when_the_xrd_says_so(tmp_path: Path) -> None:
    xr = yaml.safe_load(Path(XR).read_text())
    del xr["metadata"]["namespace"]
    path = _xr_file(tmp_path, yaml.safe_dump(xr))
    code, documents, _ = _invoke(path, "--xrd", str(REPO / "xrds/claim/xbucket.yaml"))
    assert code == 0
    assert all(d["apiVersion"].split(".")[1:3] != ["aws", "m"] for d in documents[1:])
    code, _, stderr = _invoke(XR, "--xrd", str(REPO / "xrds/claim/xbucket.yaml"))
    assert code == 1 and "metadata.namespace: XBucket is cluster-scoped" in stderr


def test_a_composition_or_functions_file_that_does_not_fit_is_refused() -> None:
    code, _, stderr = _invoke(XR, str(REPO / "compositions/xcluster.yaml"), FUNCTIONS)
    assert code == 1
    assert "spec.compositeTypeRef.kind: XCluster does not match the XR's kind XBucket" in stderr
    code, _, stderr = _invoke(XR, COMPOSITION, COMPOSITION)
    assert code == 1
    assert "kind: Composition is not a pkg.crossplane.io/Function" in stderr


def test_paved_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"paved {tag()}\n"


# The examples of `crossplane composition render --help` (crossplane/cli
# cmd/crossplane/render/xr/help/render.md), with Paved's files.
CROSSPLANE_DOCS_COMMAND_LINES = [
    [],
    ["--observed-resources=" + str(OBSERVED)],
    ["--crossplane-version=v2.3.0"],
    ['--context-values=apiextensions.crossplane.io/environment={"key": "value"}'],
    ["--required-resources=" + str(OBSERVED / "bucket.yaml")],
    ["-a", "render.crossplane.io/runtime=Development", "--timeout=1m"],
    ["-r", "-x", "-c"],
]


@pytest.mark.parametrize("flags", CROSSPLANE_DOCS_COMMAND_LINES, ids=lambda f: " ".join(f) or "-")
def test_crossplane_render_documented_command_lines_work(flags: list[str]) -> None:
    code, documents, stderr = _invoke(XR, COMPOSITION, FUNCTIONS, *flags)
    assert code == 0, stderr
    assert documents[0]["kind"] == "XBucket"
    assert {d["kind"] for d in documents[1:]} >= {"Bucket", "Key"}


def test_another_api_group_renders_with_the_composition_or_xrd_generated_for_it(
    tmp_path: Path,
) -> None:
    generated = tmp_path / "acme"
    result = CliRunner().invoke(
        main, ["generate", "--group", "platform.acme.io", "--output", str(generated)]
    )
    assert result.exit_code == 0, result.output
    xr = yaml.safe_load(Path(XR).read_text())
    xr["apiVersion"] = "platform.acme.io/v1alpha1"
    path = _xr_file(tmp_path, yaml.safe_dump(xr))
    code, _, stderr = _invoke(path)
    assert code == 1 and "apiVersion: platform.acme.io/v1alpha1 is not" in stderr
    for extra in (
        [str(generated / "compositions/xbucket.yaml")],
        ["--xrd", str(generated / "xrds/namespaced/xbucket.yaml")],
    ):
        code, documents, stderr = _invoke(path, *extra)
        assert code == 0, stderr
        assert documents[0]["apiVersion"] == "platform.acme.io/v1alpha1"
        owner = documents[1]["metadata"]["ownerReferences"][0]
        assert owner["apiVersion"] == "platform.acme.io/v1alpha1"


def _readme_render_command_lines() -> list[list[str]]:
    readme = (REPO / "README.md").read_text()
    lines = re.findall(r"(?:\.venv/bin/)?paved render ([^`#\n]+)", readme)
    return [shlex.split(line) for line in lines if "XR [COMPOSITION]" not in line]


@pytest.mark.parametrize("args", _readme_render_command_lines(), ids=" ".join)
def test_every_paved_render_command_in_the_readme_works(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["render", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("---\napiVersion: platform.paved.dev/v1alpha1\n")


# Anything a user may hand render: JSON values at any field of the XR and of an observed resource.
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = st.sampled_from(
    [
        ("apiVersion",),
        ("kind",),
        ("metadata",),
        ("metadata", "name"),
        ("metadata", "namespace"),
        ("metadata", "labels"),
        ("metadata", "annotations"),
        ("metadata", "ownerReferences"),
        ("spec",),
        ("spec", "claimRef"),
        ("spec", "compositionSelector"),
        ("spec", "parameters"),
        ("spec", "parameters", "region"),
        ("status",),
    ]
)


def _mutated(document: dict, path: tuple[str, ...], value: object) -> dict:
    mutated = json.loads(json.dumps(document))
    node = mutated
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return mutated


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    xr_field=_FIELDS,
    xr_value=_JSON,
    observed_field=_FIELDS,
    observed_value=_JSON,
    as_json=st.booleans(),
)
def test_any_malformed_input_is_an_error_line_never_a_traceback(
    tmp_path: Path,
    xr_field: tuple[str, ...],
    xr_value: object,
    observed_field: tuple[str, ...],
    observed_value: object,
    as_json: bool,
) -> None:
    xr = _mutated(yaml.safe_load(Path(XR).read_text()), xr_field, xr_value)
    observed = _mutated(
        yaml.safe_load((OBSERVED / "bucket.yaml").read_text()), observed_field, observed_value
    )
    xr_path, observed_path = tmp_path / "xr.yaml", tmp_path / "observed.yaml"
    xr_path.write_text(json.dumps(xr) if as_json else yaml.safe_dump(xr))
    observed_path.write_text(yaml.safe_dump(observed))
    result = CliRunner().invoke(
        main, ["render", str(xr_path), COMPOSITION, FUNCTIONS, "-o", str(observed_path)]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        (line,) = result.stderr.strip().splitlines()[-1:]
        assert line.startswith(f"error: {tmp_path}"), result.stderr
