from functions.kit.names import dns_label


def test_short_clean_names_are_kept_readable() -> None:
    assert dns_label("team-assets-a1b16", "kms-key") == "team-assets-a1b16-kms-key"


def test_long_or_unsafe_names_get_a_hash_and_stay_valid() -> None:
    long = dns_label("x" * 80, "bucket")
    assert len(long) == 63
    assert long != dns_label("x" * 81, "bucket")
    unsafe = dns_label("Team_A", "Bucket")
    assert unsafe.startswith("team-a-bucket-")
    assert unsafe != dns_label("team-a", "bucket")


def test_names_are_stable() -> None:
    """Pinned: these feed external names; a change would recreate real resources."""
    assert dns_label("x" * 80, "bucket") == "x" * 56 + "-75e134"
