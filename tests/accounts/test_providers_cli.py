"""``gateway providers ...`` as an operator runs it, on both databases."""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from sqlalchemy import select

from gateway.accounts.keys import parse_public_key
from gateway.store.models.accounts import Provider
from gateway.store.models.audit import AuditEvent
from tests.support import run_gateway


def openssh_public(key, comment: str = "") -> str:
    line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}".strip() + "\n"


@pytest.fixture
def ready(project, engine):
    """A project whose database is migrated."""
    return project


def write_key(tmp_path, name, key, comment=""):
    path = tmp_path / f"{name}.pub"
    path.write_text(openssh_public(key, comment))
    return path


def test_add_with_key_and_password_then_show_and_list(ready, sessions, tmp_path):
    key = write_key(tmp_path, "ed", ed25519.Ed25519PrivateKey.generate(), "lab@example")
    result = run_gateway(
        "providers",
        "add",
        "31000425",
        "--profession",
        "LAB",
        "--name",
        "Labo Central",
        "--key",
        str(key),
        "--password-stdin",
        config=ready.config,
        input="correct horse battery staple\n",
    )
    assert result.returncode == 0, result.stderr
    assert "31000425  LAB  Labo Central" in result.stdout

    with sessions() as session:
        provider = session.get(Provider, "31000425")
        assert provider.password_hash.startswith("$argon2id$")
        assert "correct horse" not in provider.password_hash
        assert [k.algorithm for k in provider.keys] == ["ssh-ed25519"]
        events = session.scalars(select(AuditEvent).where(AuditEvent.target_id == "31000425")).all()
        assert [e.action for e in events] == ["provider.add"]

    listed = json.loads(run_gateway("providers", "list", "--json", config=ready.config).stdout)
    assert listed[0]["code"] == "31000425" and listed[0]["has_password"] is True
    assert listed[0]["keys"][0]["fingerprint"] == parse_public_key(key.read_text()).fingerprint

    # The derived folder under providers/ says the same as the database.
    mirrored = json.loads((ready.root / "providers" / "accounts" / "31000425" / "account.json").read_text())
    assert mirrored == listed[0]
    assert (ready.root / "inbox" / "31000425").is_dir() and (ready.root / "outbox" / "31000425").is_dir()


@pytest.mark.parametrize(
    ("code", "profession", "fragment"),
    [
        pytest.param("45001238", "KINE", "check digit 8 is wrong", id="check-digit"),
        pytest.param("45001237", "LAB", "does not match profession LAB", id="profession"),
        pytest.param("4500123", "KINE", "exactly 8 digits", id="length"),
        pytest.param("45001237", "DENTIST", "profession 'DENTIST' is not one of", id="unknown-profession"),
    ],
)
def test_bad_codes_are_refused_with_the_reason(ready, code, profession, fragment):
    result = run_gateway("providers", "add", code, "--profession", profession, "--name", "X", config=ready.config)
    assert result.returncode == 2
    assert fragment in result.stderr


@pytest.mark.parametrize(
    ("make_key", "fragment"),
    [
        pytest.param(lambda: rsa.generate_private_key(65537, 2048), "RSA key of 2048 bits refused", id="rsa-2048"),
        pytest.param(lambda: dsa.generate_private_key(1024), "DSA keys are refused", id="dsa"),
    ],
)
def test_weak_keys_are_refused(ready, tmp_path, make_key, fragment):
    key = write_key(tmp_path, "weak", make_key())
    result = run_gateway(
        "providers", "add", "45001237", "--profession", "KINE", "--name", "K", "--key", str(key), config=ready.config
    )
    assert result.returncode == 2
    assert fragment in result.stderr and "ACC-KEY-WEAK" in result.stderr
    assert run_gateway("providers", "show", "45001237", config=ready.config).returncode == 2  # not created


def test_garbage_key_file_is_refused(ready, tmp_path):
    path = tmp_path / "garbage.pub"
    path.write_text("ssh-ed25519 not-base64!!\n")
    result = run_gateway(
        "providers", "add", "45001237", "--profession", "KINE", "--name", "K", "--key", str(path), config=ready.config
    )
    assert result.returncode == 2 and "ACC-KEY-INVALID" in result.stderr


def test_key_add_remove_disable_enable(ready, tmp_path):
    assert (
        run_gateway(
            "providers", "add", "47000070", "--profession", "DIET", "--name", "Diet", config=ready.config
        ).returncode
        == 0
    )
    rsa_key = write_key(tmp_path, "rsa", rsa.generate_private_key(65537, 3072))
    ecdsa_key = write_key(tmp_path, "ec", ec.generate_private_key(ec.SECP256R1()))
    for key in (rsa_key, ecdsa_key):
        assert run_gateway("providers", "key", "add", "47000070", str(key), config=ready.config).returncode == 0
    again = run_gateway("providers", "key", "add", "47000070", str(rsa_key), config=ready.config)
    assert again.returncode == 2 and "already has key" in again.stderr

    shown = json.loads(run_gateway("providers", "show", "47000070", "--json", config=ready.config).stdout)
    assert sorted((k["algorithm"], k["bits"]) for k in shown["keys"]) == [
        ("ecdsa-sha2-nistp256", 256),
        ("ssh-rsa", 3072),
    ]

    fingerprint = parse_public_key(rsa_key.read_text()).fingerprint
    assert run_gateway("providers", "key", "remove", "47000070", fingerprint, config=ready.config).returncode == 0
    missing = run_gateway("providers", "key", "remove", "47000070", fingerprint, config=ready.config)
    assert missing.returncode == 2 and "has no key" in missing.stderr

    assert run_gateway("providers", "disable", "47000070", config=ready.config).returncode == 0
    mirrored = json.loads((ready.root / "providers" / "accounts" / "47000070" / "account.json").read_text())
    assert mirrored["enabled"] is False and len(mirrored["keys"]) == 1
    assert run_gateway("providers", "enable", "47000070", config=ready.config).returncode == 0
    shown = json.loads(run_gateway("providers", "show", "47000070", "--json", config=ready.config).stdout)
    assert shown["enabled"] is True


def test_password_set_from_stdin_and_short_password_refused(ready, sessions):
    assert (
        run_gateway(
            "providers", "add", "45001237", "--profession", "KINE", "--name", "K", config=ready.config
        ).returncode
        == 0
    )
    short = run_gateway("providers", "password", "set", "45001237", config=ready.config, input="short\n")
    assert short.returncode == 2 and "too short" in short.stderr
    empty = run_gateway("providers", "password", "set", "45001237", config=ready.config, input="")
    assert empty.returncode == 2 and "no password on standard input" in empty.stderr
    ok = run_gateway("providers", "password", "set", "45001237", config=ready.config, input="a long enough secret\n")
    assert ok.returncode == 0
    with sessions() as session:
        assert session.get(Provider, "45001237").password_hash.startswith("$argon2id$")


def test_duplicate_account_refused(ready):
    args = ("providers", "add", "45001237", "--profession", "KINE", "--name", "K")
    assert run_gateway(*args, config=ready.config).returncode == 0
    second = run_gateway(*args, config=ready.config)
    assert second.returncode == 2 and "already exists" in second.stderr


def test_mirror_is_rebuilt_from_the_database(ready, project, sessions):
    """A stray or edited folder under providers/accounts/ is replaced by the database's truth."""
    from gateway.cli.context import AppContext

    assert (
        run_gateway(
            "providers", "add", "45001237", "--profession", "KINE", "--name", "K", config=ready.config
        ).returncode
        == 0
    )
    accounts_root = ready.root / "providers" / "accounts"
    (accounts_root / "45001237" / "account.json").write_text('{"enabled": false}')
    (accounts_root / "99999999").mkdir()
    AppContext(project.settings()).accounts.sync_mirror()
    assert json.loads((accounts_root / "45001237" / "account.json").read_text())["enabled"] is True
    assert not (accounts_root / "99999999").exists()
