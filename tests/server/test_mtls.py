"""mTLS: with --tls-certs-dir only a client holding a certificate from the CA is served."""

from __future__ import annotations

import subprocess
from pathlib import Path

import grpc
import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from server.serving import serving
from support.compose import load_xr

from functions import simulate

REQUEST = simulate.request(load_xr("bucket/claim.yaml"), tag="mtls")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(directory: Path, name: str) -> None:
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", f"/CN={name}",
        cwd=directory,
    )  # fmt: skip


def _signed(directory: Path, name: str, ca: str, *, server: bool) -> None:
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
        "-subj", f"/CN={name}", cwd=directory,
    )  # fmt: skip
    extensions = directory / f"{name}.ext"
    usage = "serverAuth" if server else "clientAuth"
    extensions.write_text(f"subjectAltName=DNS:{name}\nextendedKeyUsage={usage}\n")
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
        "-CAcreateserial", "-days", "1", "-out", f"{name}.crt", "-extfile", extensions.name,
        cwd=directory,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA (Crossplane's), the function's server cert, a client cert, and a stranger's CA."""
    directory = tmp_path_factory.mktemp("pki")
    _ca(directory, "ca")
    _ca(directory, "other-ca")
    _signed(directory, "paved", "ca", server=True)
    _signed(directory, "crossplane", "ca", server=False)
    _signed(directory, "stranger", "other-ca", server=False)
    certs = directory / "certs"
    certs.mkdir()
    (certs / "tls.crt").write_bytes((directory / "paved.crt").read_bytes())
    (certs / "tls.key").write_bytes((directory / "paved.key").read_bytes())
    (certs / "ca.crt").write_bytes((directory / "ca.crt").read_bytes())
    return directory


def _credentials(pki: Path, client: str | None) -> grpc.ChannelCredentials:
    ca = (pki / "ca.crt").read_bytes()
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=ca)
    return grpc.ssl_channel_credentials(
        root_certificates=ca,
        private_key=(pki / f"{client}.key").read_bytes(),
        certificate_chain=(pki / f"{client}.crt").read_bytes(),
    )


def test_a_client_with_a_certificate_from_the_ca_is_served_others_are_refused(pki: Path) -> None:
    with serving(f"--tls-certs-dir={pki / 'certs'}") as served:
        with served.channel(_credentials(pki, "crossplane")) as channel:
            rsp = served.v1(channel).RunFunction(REQUEST, timeout=10)
            assert rsp.meta.tag == "mtls"
            assert not [r for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
        for client in (None, "stranger"):
            with served.channel(_credentials(pki, client)) as channel:
                with pytest.raises(grpc.RpcError) as refused:
                    served.v1(channel).RunFunction(REQUEST, timeout=10)
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        with served.channel() as plaintext, pytest.raises(grpc.RpcError):
            served.v1(plaintext).RunFunction(REQUEST, timeout=10)
        # Refusing strangers doesn't disturb serving the CA's clients.
        with served.channel(_credentials(pki, "crossplane")) as channel:
            assert served.v1(channel).RunFunction(REQUEST, timeout=10).meta.tag == "mtls"
        assert served.stop() == 0


def test_the_env_var_serves_tls_too(pki: Path) -> None:
    env = {"TLS_SERVER_CERTS_DIR": str(pki / "certs")}
    with serving(env=env) as served, served.channel(_credentials(pki, "crossplane")) as channel:
        assert served.v1(channel).RunFunction(REQUEST, timeout=10).meta.tag == "mtls"
