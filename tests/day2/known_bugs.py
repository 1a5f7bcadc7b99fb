"""Blueprint bugs of issue 8 the day-2 tests find, fixed on other branches.

Each entry makes the matching test case an expected failure (not strict: a fix turns it green
without touching this file) whose reason names the bug. Once its fix is merged, delete the entry
(tables) or set it to None (single findings); the property-based pair test then covers that field
too.
"""

from __future__ import annotations

from typing import Any

import pytest


def xfail(reason: str | None) -> pytest.MarkDecorator:
    """An expected failure naming its bug; None (the bug is fixed): expected to pass."""
    return pytest.mark.xfail(reason is not None, reason=reason or "", strict=False)


def case(*values: Any, id: str, reason: str | None) -> Any:
    """A test case, expected to fail naming its bug where `reason` is given."""
    return pytest.param(*values, id=id, marks=xfail(reason))


# -- test_transitions: one field changed on a running XR ---------------------------------------
# (blueprint or scenario, change case) -> why it fails.

TRANSITIONS: dict[tuple[str, str], str] = {}


# -- test_transitions: the XR settles after a change (none known) -------------------------------

SETTLING: dict[tuple[str, str], str] = {}

# -- test_transitions: pairs of valid specs -------------------------------------------------------

# Fields whose change, combined with others, hits a known bug: pairs touching them are skipped.
PAIR_FIELDS: dict[tuple[str, str], str] = {}


# -- test_transitions: the same change without observed status ----------------------------------

# (blueprint or scenario, change) -> why the answer differs without observed status.
MISSING_STATUS_TRANSITIONS: dict[tuple[str, str], str] = {}


# -- test_external_names --------------------------------------------------------------------------
# By kind: its external-name use differs from the oracle's.
EXTERNAL_NAMES: dict[str, str] = {}


# By scenario: two XRs of the same name in two namespaces share an AWS name.
NAME_CLASHES: dict[str, str] = {}


# By kind: a reference extracts what its field does not expect.
REFERENCES: dict[str, str] = {}


# -- test_observed_state ---------------------------------------------------------------------------
# By scenario or blueprint.

_CONNECTION_DETAILS = (
    "connection details are read from status.atProvider only: without it the {} loses keys "
    "(the function could keep what it observes in the XR's secret)"
)
MISSING_STATUS: dict[str, str] = {}


UNKNOWN_OBSERVED: dict[str, str] = {}

# -- test_findings ---------------------------------------------------------------------------------

KMS_KEY_USAGE: str | None = None  # issue 8.3: fixed (every composed key is used by its data)
KMS_KEY_ORPHAN: str | None = None  # issue 8.3: fixed (database keys are orphaned)
ADDON_VERSIONS: str | None = None  # issue 8.12: fixed (functions/resources/eks_addons.py)
IAM_TAGS: str | None = None  # issue 8.14: fixed (IAM roles carry only paved.dev/ tags)
PRIVATE_CIDRS: str | None = None  # issue 8.14: fixed (private ranges only)
CROSSPLANE_1: str | None = None  # issue 8.5: fixed (the README offers Crossplane 2 only)
