"""Virtual MFA devices: create, enable, resync, deactivate, delete, list, and code checks.

AWS semantics (IAM API Reference: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices):

* A virtual device is created unassigned, with a fresh random seed. Its serial number is its
  ARN, ``arn:aws:iam::ACCOUNT:mfa{path}{name}``. Names are unique in the account (the device's
  file is keyed by name).
* EnableMFADevice ties it to a user after two *consecutive* codes from the device
  (`totp.verify_consecutive`); a device already in use is EntityAlreadyExists; a user holds at
  most ``mfa_devices_per_user`` devices (8).
* ResyncMFADevice takes two consecutive codes again. iamctl keeps no per-device clock offset
  (the drift window is always one step either side), so a resync proves possession: it clears
  the failure count and any throttle, and moves the replay guard past both codes.
* DeactivateMFADevice unties it from the user; the device and its seed remain, unassigned, and
  can be enabled again (for the same or another user) or deleted.
* DeleteVirtualMFADevice is refused with DeleteConflict while the device is enabled.

The seed and the verifier's state (`totp.MfaState`) live in the device's secret record,
``txn.get_secret("mfa", NAME)``, never in the diffable file::

    seed = "BASE32..."          # 32 base32 characters, 160 bits
    last_used_step = 58000000   # replay guard (absent: no code accepted yet)
    failures = 0                # consecutive refused codes
    locked_until = 1.7e9        # throttled until this Unix time (absent: not throttled)

Checking a sign-in code must record a failure even though the check fails: `check_code`
stages the device's new state as an attempt record (`Txn.put_secret(attempt=True)`), which the
store commits even when the check then raises its refusal. The throttle's lock is kept on the
system clock (`clock.system_now`), so a pinned IAMCTL_NOW neither lifts nor lengthens it; which
codes are valid follows iamctl's clock (`clock.now`, which IAMCTL_NOW pins, for reproducible
tests). The replay guard moves only when a code is accepted, so no clock can move it without
the device's seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import Struct, structs

from iamctl.core.base import clock, names
from iamctl.core.base.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    InvalidInput,
    NoSuchEntity,
)
from iamctl.core.credentials import totp
from iamctl.core.identities.account import check_quota
from iamctl.core.store.records import MfaDevice, User

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

DEFAULT_ISSUER = "iamctl"
ASSIGNMENT_STATUSES = ("Assigned", "Unassigned", "Any")


class NewDevice(Struct, frozen=True):
    """A device just created, with its seed: the only time the seed leaves the secrets."""

    device: MfaDevice
    seed: str


class Enrolment(Struct, frozen=True):
    """Everything `enroll` shows before the device exists: nothing of it is stored yet."""

    user: User
    device_name: str
    path: str
    serial: str
    seed: str
    issuer: str
    label: str
    uri: str


# -- names and lookups ---------------------------------------------------------------------------


def device_serial(txn: Txn, name: str, path: str = "/") -> str:
    """The serial number (ARN) of a virtual device: arn:aws:iam::ACCOUNT:mfa{path}{name}."""
    return names.arn(txn.account_id, "mfa", path, name)


def get_device(txn: Txn, serial_or_name: str) -> MfaDevice:
    """A device by serial number (ARN) or by name; NoSuchEntity when there is none.

    An ARN must match the device's whole serial (account and path included)."""
    name = serial_or_name.rsplit("/", 1)[-1] if serial_or_name.startswith("arn:") else serial_or_name
    device = txn.get("mfa", name)
    if device is None or (serial_or_name.startswith("arn:") and device.serial != serial_or_name):
        raise NoSuchEntity(f"VirtualMFADevice with serial {serial_or_name} does not exist.")
    return device


def _state(record: dict[str, Any]) -> totp.MfaState:
    return totp.MfaState(
        last_used_step=record.get("last_used_step"),
        failures=int(record.get("failures", 0)),
        locked_until=record.get("locked_until"),
    )


def _store_state(txn: Txn, device: MfaDevice, seed: str, state: totp.MfaState, *, attempt: bool = False) -> None:
    record: dict[str, Any] = {"seed": seed, "failures": state.failures}
    if state.last_used_step is not None:
        record["last_used_step"] = state.last_used_step
    if state.locked_until is not None:
        record["locked_until"] = state.locked_until
    txn.put_secret("mfa", device.name, record, attempt=attempt)


def _secret(txn: Txn, device: MfaDevice) -> dict[str, Any]:
    record = txn.get_secret("mfa", device.name)
    if not record or not record.get("seed"):
        raise NoSuchEntity(f"the seed of MFA device {device.serial} is missing from the secrets")
    return record


# -- create / enable / resync / deactivate / delete ---------------------------------------------


def create_virtual_mfa_device(txn: Txn, name: str, *, path: str = "/", tags: dict[str, str] | None = None,
                              seed: str | None = None) -> NewDevice:
    """Create an unassigned virtual device (CreateVirtualMFADevice) with a new random seed.

    Name: 1-226 characters of ``A-Za-z0-9+=,.@_-``; at most as many devices in the account as
    the users quota allows (AWS: "equal to the user quota"). `seed` is for `enroll`, which
    generated and showed the seed before creating the device.
    """
    names.check_name("mfa", name, label="virtual MFA device name")
    names.check_path(path)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    if txn.exists("mfa", name):
        raise EntityAlreadyExists(f"MFADevice entity at the same path and name already exists: {name}.")
    check_quota(txn, "users", txn.count("mfa"), what="VirtualMFADevices")
    seed = seed or totp.new_seed()
    device = MfaDevice(name=name, serial=device_serial(txn, name, path), path=path, created=clock.iso(),
                       tags=tags)
    txn.put("mfa", device)
    _store_state(txn, device, seed, totp.MfaState())
    return NewDevice(device, seed)


def _assigned_check(txn: Txn, user: User, device: MfaDevice) -> None:
    if device.user is not None:
        raise EntityAlreadyExists(f"MFA Device is already in use (enabled for user {device.user}).")
    check_quota(txn, "mfa_devices_per_user", len(user.mfa_devices), what="MFADevicesPerUser")


def enable_mfa_device(txn: Txn, user_name: str, serial: str, code1: str, code2: str) -> MfaDevice:
    """Tie a device to a user after two consecutive codes (EnableMFADevice).

    NoSuchEntity for an unknown user or device; EntityAlreadyExists when the device is enabled
    already (for anyone); LimitExceeded past the per-user quota (8); InvalidAuthenticationCode
    when the codes are not two consecutive codes of the device now. Both codes are then spent:
    the replay guard refuses them for sign-in.
    """
    user = txn.require("user", user_name)
    device = get_device(txn, serial)
    _assigned_check(txn, user, device)
    record = _secret(txn, device)
    step = totp.verify_consecutive(record["seed"], code1, code2, clock.now())
    return _assign(txn, user, device, record["seed"], step)


def _assign(txn: Txn, user: User, device: MfaDevice, seed: str, step: int) -> MfaDevice:
    device = structs.replace(device, user=user.name, enabled=clock.iso())
    txn.put("mfa", device)
    txn.put("user", structs.replace(user, mfa_devices=[*user.mfa_devices, device.serial]))
    _store_state(txn, device, seed, totp.MfaState(last_used_step=step))
    return device


def _user_device(txn: Txn, user_name: str, serial: str) -> tuple[User, MfaDevice]:
    user = txn.require("user", user_name)
    device = get_device(txn, serial)
    if device.user is None or device.user.lower() != user.name.lower():
        raise NoSuchEntity(f"MFA device {device.serial} is not enabled for user {user.name}.")
    return user, device


def resync_mfa_device(txn: Txn, user_name: str, serial: str, code1: str, code2: str) -> MfaDevice:
    """Re-prove a user's device with two consecutive codes (ResyncMFADevice).

    Allowed while the device is throttled (two consecutive codes are a far stronger proof than
    one); clears the failure count and the throttle. Codes of a time step already used are
    refused (replay guard), so a resync right after a sign-in waits for fresh codes.
    """
    _, device = _user_device(txn, user_name, serial)
    record = _secret(txn, device)
    step = totp.verify_consecutive(record["seed"], code1, code2, clock.now())
    last = record.get("last_used_step")
    if last is not None and step - 1 <= last:
        raise InvalidAuthenticationCode(
            "Authentication code for device is not valid: one of the codes was already used; "
            "wait for the device to show two new codes"
        )
    _store_state(txn, device, record["seed"], totp.MfaState(last_used_step=step))
    return device


def deactivate_mfa_device(txn: Txn, serial: str, user_name: str | None = None) -> MfaDevice:
    """Untie a device from its user (DeactivateMFADevice); the device stays, unassigned.

    With `user_name`, the device must be enabled for that user (NoSuchEntity otherwise).
    """
    device = get_device(txn, serial)
    if device.user is None:
        raise NoSuchEntity(f"MFA device {device.serial} is not enabled for any user.")
    owner = user_name if user_name is not None else device.user
    user, device = _user_device(txn, owner, serial)
    txn.put("user", structs.replace(user, mfa_devices=[s for s in user.mfa_devices if s != device.serial]))
    device = structs.replace(device, user=None, enabled=None)
    txn.put("mfa", device)
    return device


def delete_virtual_mfa_device(txn: Txn, serial: str) -> MfaDevice:
    """Delete a device and its seed (DeleteVirtualMFADevice); DeleteConflict while enabled."""
    device = get_device(txn, serial)
    if device.user is not None:
        raise DeleteConflict(
            f"Cannot delete entity, must deactivate MFA device first: {device.serial} is enabled for "
            f"user {device.user}."
        )
    txn.delete("mfa", device.name)
    if txn.get_secret("mfa", device.name) is not None:
        txn.delete_secret("mfa", device.name)
    return device


# -- listing --------------------------------------------------------------------------------------


def list_mfa_devices(txn: Txn, user_name: str) -> list[MfaDevice]:
    """A user's enabled devices (ListMFADevices): the user's file plus one per device."""
    user = txn.require("user", user_name)
    return [d for serial in user.mfa_devices if (d := txn.get("mfa", serial.rsplit("/", 1)[-1])) is not None]


def list_virtual_mfa_devices(txn: Txn, assignment_status: str = "Any") -> list[MfaDevice]:
    """Every virtual device in the account (ListVirtualMFADevices), sorted by name, filtered by
    AssignmentStatus: "Assigned", "Unassigned" or "Any"."""
    if assignment_status not in ASSIGNMENT_STATUSES:
        raise InvalidInput(f"assignment status must be one of {', '.join(ASSIGNMENT_STATUSES)}, "
                           f"not {assignment_status!r}")
    devices = txn.list("mfa")
    if assignment_status == "Assigned":
        return [d for d in devices if d.user is not None]
    if assignment_status == "Unassigned":
        return [d for d in devices if d.user is None]
    return devices


# -- enrolment: create + enable in one step --------------------------------------------------------


def default_issuer(txn: Txn) -> str:
    """"iamctl", or "iamctl (ALIAS)" when the account has an alias: short, so that the QR code
    of a typical otpauth URI stays within an 80x24 terminal."""
    alias = txn.account.alias
    return f"{DEFAULT_ISSUER} ({alias})" if alias else DEFAULT_ISSUER


def prepare_enrolment(txn: Txn, user_name: str, *, device_name: str | None = None, path: str = "/",
                      issuer: str | None = None) -> Enrolment:
    """Check that `user_name` can enrol a new device and make its seed and otpauth URI.

    Writes nothing: the seed stays in memory until `complete_enrolment` has verified two codes,
    so an interrupted or failed enrolment leaves no device behind. The device is named after
    the user unless `device_name` is given; the URI's account label is the user name and its
    issuer `issuer` or `default_issuer`.
    """
    user = txn.require("user", user_name)
    name = device_name or user.name
    names.check_name("mfa", name, label="virtual MFA device name")
    names.check_path(path)
    if txn.exists("mfa", name):
        raise EntityAlreadyExists(f"MFADevice entity at the same path and name already exists: {name}.")
    check_quota(txn, "mfa_devices_per_user", len(user.mfa_devices), what="MFADevicesPerUser")
    issuer = issuer if issuer is not None else default_issuer(txn)
    seed = totp.new_seed()
    uri = totp.otpauth_uri(seed, account_label=user.name, issuer=issuer)
    return Enrolment(user, name, path, device_serial(txn, name, path), seed, issuer, user.name, uri)


def check_enrolment_codes(enrolment: Enrolment, code1: str, code2: str) -> int:
    """Verify the two consecutive codes against the in-memory seed (nothing stored); returns
    the later code's time step, InvalidAuthenticationCode when they do not fit."""
    return totp.verify_consecutive(enrolment.seed, code1, code2, clock.now())


def complete_enrolment(txn: Txn, enrolment: Enrolment, code1: str, code2: str) -> MfaDevice:
    """Create the enrolment's device and enable it for its user, in this one transaction.

    The codes are verified first; on any error nothing has been staged by this call.
    """
    step = check_enrolment_codes(enrolment, code1, code2)
    user = txn.require("user", enrolment.user.name)
    check_quota(txn, "mfa_devices_per_user", len(user.mfa_devices), what="MFADevicesPerUser")
    new = create_virtual_mfa_device(txn, enrolment.device_name, path=enrolment.path, seed=enrolment.seed)
    return _assign(txn, user, new.device, enrolment.seed, step)


# -- sign-in codes --------------------------------------------------------------------------------


def enabled_device(txn: Txn, user: User, serial: str | None = None) -> MfaDevice | None:
    """The device a user signs in with: `serial` if given (it must be enabled for the user),
    else the user's only device; None when the user has none. InvalidInput when the user has
    several and no serial was given."""
    if serial is not None:
        return _user_device(txn, user.name, serial)[1]
    if not user.mfa_devices:
        return None
    if len(user.mfa_devices) > 1:
        raise InvalidInput(f"user {user.name} has {len(user.mfa_devices)} MFA devices; choose one by serial "
                           f"number: {', '.join(user.mfa_devices)}")
    return get_device(txn, user.mfa_devices[0])


def check_code(txn: Txn, user_name: str, code: str, *, serial: str | None = None) -> MfaDevice:
    """Check one code from a user's device (±1 step, replay guard, throttle: see iamctl.core.totp)
    and return the device when it is accepted.

    The device's new state is staged as an attempt record whatever the outcome, so a wrong or
    replayed code is recorded, then refused (InvalidAuthenticationCode). Raises NoSuchEntity
    when the user has no enabled device, ValidationError for a code that is not six digits and
    EntityTemporarilyUnmodifiable while the device is throttled (for those nothing changes).
    """
    user = txn.require("user", user_name)
    device = enabled_device(txn, user, serial)
    if device is None:
        raise NoSuchEntity(f"User {user.name} has no enabled MFA device.")
    record = _secret(txn, device)
    outcome = totp.check(record["seed"], code, _state(record), clock.now(), wall=clock.system_now())
    _store_state(txn, device, record["seed"], outcome.state, attempt=True)
    if not outcome.ok:
        why = "this code was already used" if outcome.reason == "replayed" else "the code is not valid now"
        raise InvalidAuthenticationCode(f"Authentication code for device {device.serial} is not valid: {why}.")
    return device


def clear_throttles(txn: Txn, user_name: str) -> list[MfaDevice]:
    """Lift the throttle of the user's enabled devices (the administrator's unlock), keeping the
    replay guard; returns the devices that were throttled."""
    user = txn.require("user", user_name)
    lifted = []
    for device in list_mfa_devices(txn, user.name):
        record = txn.get_secret("mfa", device.name) or {}
        if record.get("seed") and (record.get("failures") or record.get("locked_until") is not None):
            state = structs.replace(_state(record), failures=0, locked_until=None)
            _store_state(txn, device, record["seed"], state)
            if record.get("locked_until") is not None and clock.system_now() < record["locked_until"]:
                lifted.append(device)
    return lifted


__all__ = [
    "ASSIGNMENT_STATUSES",
    "DEFAULT_ISSUER",
    "Enrolment",
    "NewDevice",
    "check_code",
    "check_enrolment_codes",
    "clear_throttles",
    "complete_enrolment",
    "create_virtual_mfa_device",
    "deactivate_mfa_device",
    "default_issuer",
    "delete_virtual_mfa_device",
    "device_serial",
    "enable_mfa_device",
    "enabled_device",
    "get_device",
    "list_mfa_devices",
    "list_virtual_mfa_devices",
    "prepare_enrolment",
    "resync_mfa_device",
]
