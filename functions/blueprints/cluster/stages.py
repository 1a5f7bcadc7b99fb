"""XCluster's stages: each gets a `<Stage>Ready` condition, and `status.progress.stage` names the
first one not ready yet.

A dedicated cluster goes Network -> ControlPlane (its IAM role and secrets key with it) -> Access
and Nodes (the nodes' IAM role with them) -> Addons (and what deploys into the cluster) ->
Platform. A tenant goes Namespace -> VCluster (a vCluster tenant only) -> Access.
"""

NETWORK = "Network"
CONTROL_PLANE = "ControlPlane"
ACCESS = "Access"
NODES = "Nodes"
ADDONS = "Addons"
PLATFORM = "Platform"
NAMESPACE = "Namespace"
VCLUSTER = "VCluster"
