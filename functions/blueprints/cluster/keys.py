"""Composition resource names that more than one module of XCluster refers to."""

CLUSTER_KEY = "eks-cluster"  # the EKS Cluster
CLUSTER_AUTH_KEY = "cluster-auth"  # its kubeconfig (ClusterAuth)
STORAGE_CLASS_KEY = "storage-class"  # the default StorageClass (an Object in the cluster)
