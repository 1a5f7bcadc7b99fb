"""The platform on every cluster: Argo CD, Kyverno, ingress, certificates, secrets, metrics and
monitoring as Helm Releases through the cluster's helm ProviderConfig, and the in-cluster objects
they need as provider-kubernetes Objects. One module per component; `compose.compose` stages them.

(Nothing is imported here: the cluster's parameters import `platform.parameters`.)
"""
