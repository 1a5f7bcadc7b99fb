"""The composition kit: all a blueprint needs, and all a platform engineer needs to write one."""

from functions.kit.blueprint import DEFAULT_API, GROUP, VERSION, ApiGroup, Blueprint, Measure
from functions.kit.composite import CLAIM_NAME_LABEL, CLAIM_NAMESPACE_LABEL, Composite
from functions.kit.desired import Desired
from functions.kit.errors import ComposeError, Problems
from functions.kit.names import dns_label, short_hash
from functions.kit.observed import Observed
from functions.kit.params import (
    IMMUTABLE,
    CommonParameters,
    Model,
    cel,
    did_you_mean,
    immutable,
    xrd_rules,
)
from functions.kit.protect import CompositeRef, Used, protect_composite
from functions.kit.shapes import (
    CONNECTION_SECRET_NAMESPACE,
    DeletionPolicy,
    Kind,
    ProviderConfigRef,
    Shape,
    aws,
    crossplane_contrib,
)
from functions.kit.status import Progress, read_status

__all__ = [
    "CLAIM_NAMESPACE_LABEL",
    "CLAIM_NAME_LABEL",
    "CONNECTION_SECRET_NAMESPACE",
    "DEFAULT_API",
    "GROUP",
    "IMMUTABLE",
    "VERSION",
    "ApiGroup",
    "Blueprint",
    "CommonParameters",
    "ComposeError",
    "Composite",
    "CompositeRef",
    "DeletionPolicy",
    "Desired",
    "Kind",
    "Measure",
    "Model",
    "Observed",
    "Problems",
    "Progress",
    "ProviderConfigRef",
    "Shape",
    "Used",
    "aws",
    "cel",
    "crossplane_contrib",
    "did_you_mean",
    "dns_label",
    "immutable",
    "protect_composite",
    "read_status",
    "short_hash",
    "xrd_rules",
]
