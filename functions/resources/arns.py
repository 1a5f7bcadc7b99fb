"""ARNs Paved can know before AWS answers."""


def partition(region: str) -> str:
    """The AWS partition of a region: aws, aws-cn or aws-us-gov."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
