"""Virtual MFA devices in the core: AWS's Create/Enable/Resync/Deactivate/Delete rules, the
persisted replay guard and throttle, and enrolment that leaves nothing half done."""

from __future__ import annotations

import os
import stat

import pytest

from iamctl.core.base.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    EntityTemporarilyUnmodifiable,
    InvalidAuthenticationCode,
    LimitExceeded,
    NoSuchEntity,
)
from iamctl.core.credentials import mfa, totp
from iamctl.core.identities import users
from iamctl.core.store.directory import Store

T0 = 1_800_000_000  # a step boundary: 1_800_000_000 / 30 is whole




@pytest.fixture
def store(tmp_path, now):
    s = Store(tmp_path / "a")
    with s.write() as txn:
        users.create_user(txn, "alice")
        users.create_user(txn, "bob")
    return s


def _pair(seed: str, t: float) -> tuple[str, str]:
    return totp.code_at(seed, t - totp.PERIOD), totp.code_at(seed, t)


def _enabled(store, user="alice", name="phone") -> str:
    with store.write() as txn:
        seed = mfa.create_virtual_mfa_device(txn, name).seed
        mfa.enable_mfa_device(txn, user, name, *_pair(seed, T0))
    return seed


def test_create_gives_a_serial_arn_and_keeps_the_seed_with_the_secrets(store):
    with store.write() as txn:
        new = mfa.create_virtual_mfa_device(txn, "phone", path="/team/")
        account = txn.account_id
    assert new.device.serial == f"arn:aws:iam::{account}:mfa/team/phone"
    assert len(new.seed) == 32 and new.device.user is None
    diffable = (store.root / account / "mfa" / "phone.toml").read_text()
    assert new.seed not in diffable
    secret = store.root / "secrets" / account / "mfa" / "phone.toml"
    assert new.seed in secret.read_text()
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600


def test_device_names_are_unique_without_regard_to_case(store):
    with store.write() as txn:
        mfa.create_virtual_mfa_device(txn, "Phone")
    with pytest.raises(EntityAlreadyExists), store.write() as txn:
        mfa.create_virtual_mfa_device(txn, "phone")


def test_enable_mfa_device_needs_two_consecutive_codes(store):
    with store.write() as txn:
        seed = mfa.create_virtual_mfa_device(txn, "phone").seed
    c1, c2 = _pair(seed, T0)
    for codes in [(c2, c1), (c1, c1), ("000000", c2)]:
        with pytest.raises(InvalidAuthenticationCode), store.write() as txn:
            mfa.enable_mfa_device(txn, "alice", "phone", *codes)
    with store.write() as txn:
        device = mfa.enable_mfa_device(txn, "alice", "phone", c1, c2)
    assert device.user == "alice" and device.enabled
    with store.read() as txn:
        assert txn.get("user", "alice").mfa_devices == [device.serial]
        assert [d.name for d in mfa.list_mfa_devices(txn, "alice")] == ["phone"]


def test_enable_refuses_a_device_already_in_use(store):
    seed = _enabled(store)
    with pytest.raises(EntityAlreadyExists, match="already in use"), store.write() as txn:
        mfa.enable_mfa_device(txn, "bob", "phone", *_pair(seed, T0))


def test_at_most_8_mfa_devices_per_user(store):
    for i in range(8):
        _enabled(store, name=f"d{i}")
    with store.write() as txn:
        seed = mfa.create_virtual_mfa_device(txn, "d8").seed
    with pytest.raises(LimitExceeded, match="MFADevicesPerUser: 8"), store.write() as txn:
        mfa.enable_mfa_device(txn, "alice", "d8", *_pair(seed, T0))
    with pytest.raises(LimitExceeded), store.read() as txn:
        mfa.prepare_enrolment(txn, "alice", device_name="d9")


def _accepted(store, code: str) -> bool:
    """Check a code in its own transaction: True if accepted; False if refused, the refusal
    having been recorded all the same (the store's attempt records)."""
    try:
        with store.write() as txn:
            mfa.check_code(txn, "alice", code)
    except InvalidAuthenticationCode:
        return False
    return True


def test_enabling_codes_cannot_be_replayed_to_sign_in(store):
    seed = _enabled(store)
    with pytest.raises(InvalidAuthenticationCode, match="already used"), store.write() as txn:
        mfa.check_code(txn, "alice", totp.code_at(seed, T0))


def test_drift_of_one_step_either_side_is_accepted_and_two_is_not(store, now):
    seed = _enabled(store)
    now(T0 + 10 * totp.PERIOD)
    assert not _accepted(store, totp.code_at(seed, T0 + 8 * totp.PERIOD))
    assert _accepted(store, totp.code_at(seed, T0 + 9 * totp.PERIOD))
    assert _accepted(store, totp.code_at(seed, T0 + 11 * totp.PERIOD))


def test_replay_guard_is_persisted_across_transactions(store, now):
    seed = _enabled(store)
    t = now(T0 + 5 * totp.PERIOD)
    assert _accepted(store, totp.code_at(seed, t))
    with pytest.raises(InvalidAuthenticationCode, match="already used"), store.write() as txn:
        mfa.check_code(txn, "alice", totp.code_at(seed, t))


def test_a_refused_code_is_recorded_though_the_check_raises(store):
    seed = _enabled(store)
    wrong = f"{(int(totp.code_at(seed, T0)) + 1) % 1_000_000:06d}"
    assert not _accepted(store, wrong)
    with store.read() as txn:
        assert txn.get_secret("mfa", "phone")["failures"] == 1


def test_five_failures_throttle_the_device_for_300_seconds_of_the_system_clock(store, now, wall):
    seed = _enabled(store)
    t = now(T0 + 5 * totp.PERIOD)
    for _ in range(5):
        assert not _accepted(store, "000000")
    good = totp.code_at(seed, t)
    with pytest.raises(EntityTemporarilyUnmodifiable), store.write() as txn:
        mfa.check_code(txn, "alice", good)
    now(t + totp.LOCKOUT_SECONDS)  # a clock pinned past the lock does not lift it ...
    with pytest.raises(EntityTemporarilyUnmodifiable), store.write() as txn:
        mfa.check_code(txn, "alice", totp.code_at(seed, t + totp.LOCKOUT_SECONDS))
    wall(T0 + totp.LOCKOUT_SECONDS)  # ... 300 seconds of the system clock do
    assert _accepted(store, totp.code_at(seed, t + totp.LOCKOUT_SECONDS))


def test_resync_clears_the_throttle_and_refuses_used_codes(store, now):
    seed = _enabled(store)
    t = now(T0 + totp.PERIOD)
    for _ in range(5):
        assert not _accepted(store, "000000")
    with pytest.raises(InvalidAuthenticationCode, match="already used"), store.write() as txn:
        mfa.resync_mfa_device(txn, "alice", "phone", *_pair(seed, T0))  # the enabling codes
    t = now(T0 + 2 * totp.PERIOD)
    with store.write() as txn:
        mfa.resync_mfa_device(txn, "alice", "phone", *_pair(seed, t))
    t2 = now(t + totp.PERIOD)
    assert _accepted(store, totp.code_at(seed, t2))


def test_resync_needs_the_device_enabled_for_that_user(store):
    seed = _enabled(store)
    with pytest.raises(NoSuchEntity, match="not enabled for user bob"), store.write() as txn:
        mfa.resync_mfa_device(txn, "bob", "phone", *_pair(seed, T0 + 60))


def test_delete_is_a_conflict_while_enabled_and_deactivate_keeps_the_device(store):
    _enabled(store)
    with pytest.raises(DeleteConflict, match="must deactivate"), store.write() as txn:
        mfa.delete_virtual_mfa_device(txn, "phone")
    with store.write() as txn:
        device = mfa.deactivate_mfa_device(txn, "phone", "alice")
        assert device.user is None and device.enabled is None
        assert txn.get("user", "alice").mfa_devices == []
        assert [d.name for d in mfa.list_virtual_mfa_devices(txn, "Unassigned")] == ["phone"]
    with store.write() as txn:
        mfa.delete_virtual_mfa_device(txn, "phone")
        assert txn.get_secret("mfa", "phone") is None
        assert mfa.list_virtual_mfa_devices(txn) == []


def test_serial_must_match_the_whole_arn(store):
    with store.write() as txn:
        mfa.create_virtual_mfa_device(txn, "phone")
        good = mfa.get_device(txn, f"arn:aws:iam::{txn.account_id}:mfa/phone")
        assert good.name == "phone"
        with pytest.raises(NoSuchEntity):
            mfa.get_device(txn, "arn:aws:iam::111122223333:mfa/phone")


def test_failed_enrolment_leaves_no_device(store):
    with store.read() as txn:
        enrolment = mfa.prepare_enrolment(txn, "alice")
    assert enrolment.uri == f"otpauth://totp/iamctl:alice?secret={enrolment.seed}&issuer=iamctl"
    with pytest.raises(InvalidAuthenticationCode), store.write() as txn:
        mfa.complete_enrolment(txn, enrolment, "123456", "654321")
    with store.read() as txn:
        assert txn.keys("mfa") == [] and txn.get("user", "alice").mfa_devices == []
    with store.write() as txn:
        device = mfa.complete_enrolment(txn, enrolment, *_pair(enrolment.seed, T0))
    assert device.serial == enrolment.serial and device.user == "alice"


def test_default_issuer_names_the_account_alias(store):
    from iamctl.core.identities import account

    with store.write() as txn:
        account.set_alias(txn, "acme")
        assert mfa.prepare_enrolment(txn, "alice").issuer == "iamctl (acme)"


def test_deleting_a_user_with_force_removes_its_device_and_seed(store):
    _enabled(store)
    with store.write() as txn:
        users.delete_user(txn, "alice", force=True)
    with store.read() as txn:
        assert txn.keys("mfa") == [] and txn.get_secret("mfa", "phone") is None
