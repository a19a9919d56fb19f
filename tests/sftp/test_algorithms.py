"""Modern algorithms only: ssh-audit passes, and clients offering only refused ones fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import paramiko
import pytest

SSH_AUDIT = str(Path(sys.executable).parent / "ssh-audit")
POLICY = Path(__file__).parent / "ssh-audit-policy.txt"


def test_ssh_audit_policy_passes(server):
    result = subprocess.run(
        [SSH_AUDIT, "-P", str(POLICY), "-p", str(server.port), "127.0.0.1"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_ssh_audit_finds_no_failure(server):
    result = subprocess.run(
        [SSH_AUDIT, "-j", "-p", str(server.port), "127.0.0.1"], capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout)
    failures = [
        (kind, entry["algorithm"])
        for kind in ("kex", "key", "enc", "mac")
        for entry in report[kind]
        if entry.get("notes", {}).get("fail")
    ]
    assert failures == []
    assert report["cves"] == []
    assert not report["recommendations"].get("critical")


@pytest.mark.parametrize(
    "kind,refused",
    [
        pytest.param("ciphers", "aes128-cbc", id="cipher-aes-cbc"),
        pytest.param("ciphers", "3des-cbc", id="cipher-3des"),
        pytest.param("macs", "hmac-sha1", id="mac-sha1"),
        pytest.param("macs", "hmac-md5", id="mac-md5"),
        pytest.param("macs", "hmac-sha2-256", id="mac-encrypt-and-mac"),
        pytest.param("kex", "ecdh-sha2-nistp256", id="kex-nist"),
        pytest.param("kex", "diffie-hellman-group14-sha256", id="kex-group14"),
    ],
)
def test_paramiko_offering_only_a_refused_algorithm_fails(server, provider, kind, refused):
    transport = paramiko.Transport(("127.0.0.1", server.port))
    if kind == "ciphers":
        transport._preferred_ciphers = (refused,)
    elif kind == "macs":
        # GCM carries its own MAC: offer only CTR so the MAC list matters
        transport._preferred_ciphers = ("aes128-ctr",)
        transport._preferred_macs = (refused,)
    else:
        transport._preferred_kex = (refused,)
    with pytest.raises(paramiko.SSHException):
        transport.connect(hostkey=server.host_key, username=provider.code, pkey=provider.pkey())
    transport.close()


@pytest.mark.parametrize(
    "option",
    [
        pytest.param("Ciphers=aes256-cbc", id="cipher-cbc"),
        pytest.param("MACs=hmac-sha1", id="mac-sha1"),
        pytest.param("KexAlgorithms=ecdh-sha2-nistp256", id="kex-nist"),
        pytest.param("KexAlgorithms=diffie-hellman-group14-sha1", id="kex-sha1"),
        pytest.param("HostKeyAlgorithms=ssh-rsa", id="hostkey-rsa-sha1"),
    ],
)
def test_openssh_offering_only_a_refused_algorithm_fails(server, provider, option):
    extra = ("-v", "-o", option) if not option.startswith("MACs") else ("-v", "-o", option, "-o", "Ciphers=aes128-ctr")
    result = server.openssh(provider, "ls /\n", options=extra)
    assert result.returncode != 0
    assert "no matching" in result.stderr.lower() or "unable to negotiate" in result.stderr.lower()


def test_openssh_connects_with_its_defaults(server, provider):
    result = server.openssh(provider, "ls /\n")
    assert result.returncode == 0, result.stderr


def test_an_sha1_rsa_signature_is_refused(server, make_provider):
    provider = make_provider("LAB", kind="rsa3072")
    result = server.openssh(provider, "ls /\n", options=("-o", "PubkeyAcceptedAlgorithms=ssh-rsa"))
    assert result.returncode != 0
    assert server.openssh(provider, "ls /\n").returncode == 0  # same client, SHA-2 signatures
