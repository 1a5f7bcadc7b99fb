"""The cluster's VPC: public and private subnets per zone, internet gateway, NAT, routes.

Subnet CIDRs are computed from the VPC CIDR, never per region: the VPC is cut into eighths, zone
i's private subnet is eighth i (up to six zones), and the last eighth is cut into eighths again for
the public subnets, each picked by the zone's letter (a..f). A /16 gives /19 private and /22
public subnets, a /20 gives /23 and /26.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Any

from functions.kit import ComposeError, Composite, Desired
from functions.resources.kinds import (
    EIP,
    INTERNET_GATEWAY,
    NAT_GATEWAY,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SUBNET,
    VPC,
)
from functions.resources.regions import REGIONS

from .parameters import ClusterParameters
from .stages import NETWORK

MAX_ZONES = 6
LARGEST_PREFIX = 16  # AWS allows no VPC CIDR larger than /16
SMALLEST_PREFIX = 20  # leaves /23 private subnets (510 addresses) for nodes and pods
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)

# A zone's subnets are picked by its letter, so reordering or adding zones never moves a subnet.
ZONE_SUFFIXES = "abcdef"


@dataclass(frozen=True)
class Zone:
    name: str  # eu-west-1a
    suffix: str  # a: part of every composition resource name in this zone, so never changes
    private_cidr: str
    public_cidr: str


@dataclass(frozen=True)
class Layout:
    zones: tuple[Zone, ...]
    nat_zones: tuple[Zone, ...]

    def nat_for(self, zone: Zone) -> Zone:
        return zone if zone in self.nat_zones else self.nat_zones[0]


def layout(params: ClusterParameters) -> Layout:
    network = params.network
    private, public = _eighths(network.cidr)
    zones = tuple(
        Zone(name, name[-1], private[slot], public[slot])
        for name in _zone_names(params)
        for slot in [ZONE_SUFFIXES.index(name[-1])]
    )
    nat_zones = zones if network.nat_gateways == "perZone" else zones[:1]
    return Layout(zones, nat_zones)


@functools.cache
def _eighths(cidr: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The VPC's eighths (private subnets) and the last eighth's eighths (public subnets)."""
    private = list(_vpc_network(cidr).subnets(prefixlen_diff=3))
    public = private[-1].subnets(prefixlen_diff=3)
    return tuple(map(str, private)), tuple(map(str, public))


def _vpc_network(cidr: str) -> ipaddress.IPv4Network:
    field = "spec.parameters.network.cidr"
    try:
        vpc = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as error:
        raise ComposeError(field, f"{cidr!r} is not an IPv4 CIDR ({error})") from None
    if not any(vpc.subnet_of(private) for private in PRIVATE_RANGES):
        raise ComposeError(
            field,
            f"{cidr} is not a private range: use one inside 10.0.0.0/8, 172.16.0.0/12, "
            "192.168.0.0/16 or 100.64.0.0/10",
        )
    if vpc.prefixlen < LARGEST_PREFIX:
        raise ComposeError(field, f"{cidr} is larger than AWS allows for a VPC (/{LARGEST_PREFIX})")
    if vpc.prefixlen > SMALLEST_PREFIX:
        raise ComposeError(
            field, f"{cidr} is too small for a cluster: use a /{SMALLEST_PREFIX} or larger"
        )
    return vpc


def zone_letters(region: str) -> str:
    """Every zone letter some account has in the region (functions/resources/regions.py)."""
    known = REGIONS.get(region)  # an unknown region is refused by its own rule first
    return known.zone_letters if known is not None else "abc"


def _zone_names(params: ClusterParameters) -> list[str]:
    region = params.region
    explicit = params.network.availability_zones
    if explicit is not None:
        seen: set[str] = set()
        for i, zone in enumerate(explicit):
            field = f"spec.parameters.network.availabilityZones[{i}]"
            if (
                len(zone) != len(region) + 1
                or not zone.startswith(region)
                or zone[-1] not in ZONE_SUFFIXES
            ):
                raise ComposeError(field, f"{zone!r} is not an availability zone of {region}")
            letters = zone_letters(region)
            if zone[-1] not in letters:
                raise ComposeError(
                    field,
                    f"{region} has no zone {zone}: its zones are "
                    f"{', '.join(region + x for x in letters)}",
                )
            if zone in seen:
                raise ComposeError(field, f"{zone} is listed twice")
            seen.add(zone)
        return list(explicit)
    letters = zone_letters(region)
    count = params.network.zones
    if count > len(letters):
        raise ComposeError(
            "spec.parameters.network.zones",
            f"{region} has {len(letters)} availability zones "
            f"({', '.join(region + x for x in letters)}), not {count}",
        )
    return [region + letter for letter in letters[:count]]


# How each part of the network is deleted safely. What EC2 refuses to delete while it is in use
# can go in any order: the provider retries until it can. What EC2 deletes whenever asked and the
# nodes' way out to AWS depends on (NAT gateways, routes, route table associations) is held by
# the cluster, which goes only after every node group: the controllers on the nodes (the load
# balancer controller, the EBS CSI driver) still call AWS while the platform is deleted, and a
# load balancer or volume they could not delete would be left behind and keep the VPC.
IN_USE = "EC2 refuses to delete it while {} (DependencyViolation); the provider retries"
ANY_ORDER = {
    INTERNET_GATEWAY: IN_USE.format("public addresses in the VPC are mapped"),
    ROUTE_TABLE: IN_USE.format("a subnet is associated with it"),
    EIP: IN_USE.format("a NAT gateway holds the address"),
    SUBNET: IN_USE.format("network interfaces (NAT gateways, load balancers) are in it"),
}


@dataclass(frozen=True)
class NetworkKeys:
    all: list[str]  # every resource of the network
    held_by_cluster: list[str]  # what the cluster runs in, or its nodes reach AWS through


def compose(
    xr: Composite[ClusterParameters], out: Desired, net: Layout, cluster_name: str
) -> NetworkKeys:
    """Add the network; returns the composition resource names of everything in it."""
    region = xr.params.region
    keys: list[str] = []
    private_subnets = set(private_subnet_keys(net))
    held: list[str] = []

    def add(key: str, kind: Any, for_provider: dict[str, Any], name_tag: str | None = None) -> None:
        body = {"region": region, **for_provider}
        if name_tag is not None:
            body["tags"] = xr.tags(Name=name_tag, **body.pop("tags", {}))
        any_order = None if key in private_subnets else ANY_ORDER.get(kind)
        out.add(
            key,
            xr.shape.managed(kind, xr.resource_name(key), body),
            stage=NETWORK,
            delete_in_any_order=any_order,
        )
        keys.append(key)
        if any_order is None:
            held.append(key)

    ref = xr.ref

    add(
        "vpc",
        VPC,
        {"cidrBlock": xr.params.network.cidr, "enableDnsHostnames": True, "enableDnsSupport": True},
        cluster_name,
    )
    add("internet-gateway", INTERNET_GATEWAY, {"vpcIdRef": ref("vpc")}, cluster_name)
    add("route-table-public", ROUTE_TABLE, {"vpcIdRef": ref("vpc")}, f"{cluster_name}-public")
    add(
        "route-public-internet",
        ROUTE,
        {
            "routeTableIdRef": ref("route-table-public"),
            "destinationCidrBlock": "0.0.0.0/0",
            "gatewayIdRef": ref("internet-gateway"),
        },
    )
    cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"}
    for zone in net.zones:
        s = zone.suffix
        add(
            f"subnet-public-{s}",
            SUBNET,
            {
                "vpcIdRef": ref("vpc"),
                "availabilityZone": zone.name,
                "cidrBlock": zone.public_cidr,
                "mapPublicIpOnLaunch": False,
                # Where the AWS Load Balancer Controller puts internet-facing load balancers.
                "tags": {**cluster_tag, "kubernetes.io/role/elb": "1"},
            },
            f"{cluster_name}-public-{zone.name}",
        )
        add(
            f"subnet-private-{s}",
            SUBNET,
            {
                "vpcIdRef": ref("vpc"),
                "availabilityZone": zone.name,
                "cidrBlock": zone.private_cidr,
                "mapPublicIpOnLaunch": False,
                "tags": {**cluster_tag, "kubernetes.io/role/internal-elb": "1"},
            },
            f"{cluster_name}-private-{zone.name}",
        )
        add(
            f"route-table-association-public-{s}",
            ROUTE_TABLE_ASSOCIATION,
            {
                "routeTableIdRef": ref("route-table-public"),
                "subnetIdRef": ref(f"subnet-public-{s}"),
            },
        )
    for zone in (*net.nat_zones, *retired_nat_zones(xr, net)):
        s = zone.suffix
        add(f"eip-nat-{s}", EIP, {"domain": "vpc"}, f"{cluster_name}-nat-{zone.name}")
        add(
            f"nat-gateway-{s}",
            NAT_GATEWAY,
            {
                "allocationIdRef": ref(f"eip-nat-{s}"),
                "subnetIdRef": ref(f"subnet-public-{s}"),
                "connectivityType": "public",
            },
            f"{cluster_name}-{zone.name}",
        )
    for zone in net.zones:
        s = zone.suffix
        add(
            f"route-table-private-{s}",
            ROUTE_TABLE,
            {"vpcIdRef": ref("vpc")},
            f"{cluster_name}-private-{zone.name}",
        )
        add(
            f"route-private-{s}-nat",
            ROUTE,
            {
                "routeTableIdRef": ref(f"route-table-private-{s}"),
                "destinationCidrBlock": "0.0.0.0/0",
                # Always: a route's NAT gateway changes with natGatewayIds, and a reference
                # that is already resolved is otherwise never resolved again.
                "natGatewayIdRef": {
                    **ref(nat_gateway_for(xr, net, zone)),
                    "policy": {"resolve": "Always"},
                },
            },
        )
        add(
            f"route-table-association-private-{s}",
            ROUTE_TABLE_ASSOCIATION,
            {
                "routeTableIdRef": ref(f"route-table-private-{s}"),
                "subnetIdRef": ref(f"subnet-private-{s}"),
            },
        )
    return NetworkKeys(keys, held)


def nat_gateway_for(xr: Composite[ClusterParameters], net: Layout, zone: Zone) -> str:
    """The NAT gateway key zone's private route goes through. A route already running keeps its
    gateway until the one it moves to is Ready, so private subnets never lose their way out."""
    wanted = f"nat-gateway-{net.nat_for(zone).suffix}"
    route = xr.observed.get(f"route-private-{zone.suffix}-nat")
    if route is None:
        return wanted
    wanted_nat = xr.observed.get(wanted)
    if wanted_nat is not None and wanted_nat.ready:
        return wanted
    current = route.get("spec", "forProvider", "natGatewayIdRef", "name")
    for suffix in ZONE_SUFFIXES:
        nat_key = f"nat-gateway-{suffix}"
        if nat_key in xr.observed and xr.resource_name(nat_key) == current:
            return nat_key
    return wanted


def retired_nat_zones(xr: Composite[ClusterParameters], net: Layout) -> list[Zone]:
    """Zones whose NAT gateway (and its EIP) the layout no longer wants but a route may still use:
    composed until every private route is observed going through another gateway."""
    wanted = {zone.suffix for zone in net.nat_zones}
    zones = {zone.suffix: zone for zone in net.zones}
    retired = []
    for suffix in sorted(zones):
        nat_key = f"nat-gateway-{suffix}"
        if suffix in wanted or nat_key not in xr.observed:
            continue
        if _nat_in_use(xr, net, nat_key):
            retired.append(zones[suffix])
    return retired


def _nat_in_use(xr: Composite[ClusterParameters], net: Layout, nat_key: str) -> bool:
    nat = xr.observed[nat_key]
    nat_id = nat.at_provider("id") or nat.get(
        "metadata", "annotations", "crossplane.io/external-name"
    )
    for zone in net.zones:
        route_key = f"route-private-{zone.suffix}-nat"
        if route_key not in xr.observed:
            continue
        route = xr.observed[route_key]
        if nat_gateway_for(xr, net, zone) == nat_key:
            return True
        # Only the route's status says where AWS sends its traffic now; without it, keep.
        target = route.at_provider("natGatewayId")
        if not isinstance(target, str) or not isinstance(nat_id, str) or target == nat_id:
            return True
    return False


def private_subnet_keys(net: Layout) -> list[str]:
    return [f"subnet-private-{zone.suffix}" for zone in net.zones]


def public_subnet_keys(net: Layout) -> list[str]:
    return [f"subnet-public-{zone.suffix}" for zone in net.zones]
