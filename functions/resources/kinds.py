"""Every kind Paved composes, at the version it composes (see ../shared/crds/SOURCES.md).

Cluster-scoped AWS kinds are composed at their storage version; the namespaced `.m.` groups
only serve v1beta1.
"""

from functions.kit import aws, crossplane_contrib

# S3
BUCKET = aws("s3", "Bucket", "v1beta2")
BUCKET_VERSIONING = aws("s3", "BucketVersioning", "v1beta2")
BUCKET_ENCRYPTION = aws("s3", "BucketServerSideEncryptionConfiguration", "v1beta2")
BUCKET_PUBLIC_ACCESS_BLOCK = aws("s3", "BucketPublicAccessBlock", "v1beta1")
BUCKET_OWNERSHIP_CONTROLS = aws("s3", "BucketOwnershipControls", "v1beta2")
BUCKET_LIFECYCLE = aws("s3", "BucketLifecycleConfiguration", "v1beta1")
BUCKET_POLICY = aws("s3", "BucketPolicy", "v1beta1")

# KMS
KMS_KEY = aws("kms", "Key", "v1beta1")
KMS_ALIAS = aws("kms", "Alias", "v1beta1")

# EC2
VPC = aws("ec2", "VPC", "v1beta1")
SUBNET = aws("ec2", "Subnet", "v1beta1")
INTERNET_GATEWAY = aws("ec2", "InternetGateway", "v1beta1")
NAT_GATEWAY = aws("ec2", "NATGateway", "v1beta1")
EIP = aws("ec2", "EIP", "v1beta1")
ROUTE_TABLE = aws("ec2", "RouteTable", "v1beta1")
ROUTE = aws("ec2", "Route", "v1beta2")
ROUTE_TABLE_ASSOCIATION = aws("ec2", "RouteTableAssociation", "v1beta1")
SECURITY_GROUP = aws("ec2", "SecurityGroup", "v1beta1")
SECURITY_GROUP_INGRESS_RULE = aws("ec2", "SecurityGroupIngressRule", "v1beta1")

# IAM
ROLE = aws("iam", "Role", "v1beta1")
ROLE_POLICY_ATTACHMENT = aws("iam", "RolePolicyAttachment", "v1beta1")
POLICY = aws("iam", "Policy", "v1beta1")

# EKS
EKS_CLUSTER = aws("eks", "Cluster", "v1beta2")
NODE_GROUP = aws("eks", "NodeGroup", "v1beta2")
ADDON = aws("eks", "Addon", "v1beta1")
ACCESS_ENTRY = aws("eks", "AccessEntry", "v1beta1")
ACCESS_POLICY_ASSOCIATION = aws("eks", "AccessPolicyAssociation", "v1beta1")
CLUSTER_AUTH = aws("eks", "ClusterAuth", "v1beta1")
IDENTITY_PROVIDER_CONFIG = aws("eks", "IdentityProviderConfig", "v1beta2")
POD_IDENTITY_ASSOCIATION = aws("eks", "PodIdentityAssociation", "v1beta1")

# RDS
DB_INSTANCE = aws("rds", "Instance", "v1beta3")
DB_SUBNET_GROUP = aws("rds", "SubnetGroup", "v1beta1")
DB_PARAMETER_GROUP = aws("rds", "ParameterGroup", "v1beta1")

# provider-helm and provider-kubernetes
HELM_RELEASE = crossplane_contrib("helm", "Release", "v1beta1", "v1beta1")
HELM_PROVIDER_CONFIG = crossplane_contrib("helm", "ProviderConfig", "v1beta1", "v1beta1")
KUBERNETES_OBJECT = crossplane_contrib("kubernetes", "Object", "v1alpha2", "v1alpha1")
KUBERNETES_PROVIDER_CONFIG = crossplane_contrib(
    "kubernetes", "ProviderConfig", "v1alpha1", "v1alpha1"
)
