"""`iamctl mfa ...`: virtual MFA devices: enrol by scanning a terminal QR code, and the AWS calls.

`enroll` is the one-step flow (create + enable). It makes the seed in memory, shows it (QR code,
label, issuer, base32 secret) and asks for two consecutive codes; only when they verify is the
device created and enabled, in one transaction. Ctrl-C or wrong codes therefore leave nothing
behind: run `enroll` again (a new seed is made; remove the old entry from the app).
"""

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, reading, secret_output, writing
from iamctl.cli.complete import complete_mfa_devices, complete_users
from iamctl.cli.syntax import TagOpt, tag_dict

if TYPE_CHECKING:
    from iamctl.core.credentials.mfa import Enrolment
    from iamctl.core.store.records import MfaDevice

app = typer.Typer(no_args_is_help=True, help="Virtual MFA devices: enroll, create, enable, resync, verify, ...")

UserArg = Annotated[str, typer.Argument(help="The user name.", metavar="USER", autocompletion=complete_users)]
UserOpt = Annotated[str, typer.Option("--user", help="The user name.", metavar="USER",
                                      autocompletion=complete_users)]
SerialOpt = Annotated[str, typer.Option("--serial", help="The device's serial number (its ARN) or name.",
                                        metavar="SERIAL", autocompletion=complete_mfa_devices)]
Code1Opt = Annotated[str | None, typer.Option("--code1", help="First of two consecutive codes.", metavar="CODE")]
Code2Opt = Annotated[str | None, typer.Option("--code2", help="The next code after --code1.", metavar="CODE")]
IssuerOpt = Annotated[str | None, typer.Option(
    "--issuer", help='Issuer shown by the app. Default: "iamctl", or "iamctl (ALIAS)" with an account alias.')]
PngOpt = Annotated[Path | None, typer.Option("--qr-png", help="Also write the QR code to this PNG file (mode 0600).",
                                             metavar="FILE")]
ENROL_ATTEMPTS = 3


def device_item(d: "MfaDevice") -> dict:
    """A device as ListMFADevices / ListVirtualMFADevices show one."""
    return {"SerialNumber": d.serial, "UserName": d.user, "EnableDate": d.enabled}


def _codes(code1: str | None, code2: str | None) -> tuple[str, str]:
    if (code1 is None) != (code2 is None):
        raise typer.BadParameter("give both --code1 and --code2, or neither (to be asked)")
    if code1 is not None and code2 is not None:
        return code1, code2
    sys.stdout.flush()  # the QR code and secret must be on screen before the prompt (on stderr)
    first = typer.prompt("Code 1 (six digits)", err=True).strip()
    return first, typer.prompt("Code 2 (the next code)", err=True).strip()


def _show(enrolment: "Enrolment", *, qr: bool, invert: bool, png: Path | None) -> None:
    from iamctl.cli import qr as qrcode  # lazy: start-up

    render.lines(["Add this account to an authenticator app: scan the QR code, or type the secret.",
                  f"Account: {enrolment.label}", f"Issuer:  {enrolment.issuer}", f"Secret:  {enrolment.seed}"])
    if png is not None:
        qrcode.write_png(enrolment.uri, png)
        render.note(f"QR code written to {png}")
    if not qr:
        return
    lines, columns = qrcode.terminal_size(enrolment.uri)
    size = shutil.get_terminal_size((80, 24))
    if lines + 1 > size.lines or columns > size.columns:
        render.note(f"the QR code ({columns}x{lines}) does not fit this {size.columns}x{size.lines} terminal: "
                    "enlarge it, or use --qr-png FILE (or a shorter --issuer)")
    render.lines(qrcode.render_terminal(enrolment.uri, invert=invert).split("\n"))


def _verified_codes(enrolment: "Enrolment", code1: str | None, code2: str | None) -> tuple[str, str]:
    """The codes, checked against the in-memory seed; a person typing them gets three tries."""
    from iamctl.core.base.errors import InvalidAuthenticationCode  # lazy: start-up
    from iamctl.core.credentials import mfa  # lazy: start-up

    asked = code1 is None
    for attempt in range(1, ENROL_ATTEMPTS + 1):
        codes = _codes(code1, code2)
        try:
            mfa.check_enrolment_codes(enrolment, *codes)
            return codes
        except InvalidAuthenticationCode as e:
            if not asked or attempt == ENROL_ATTEMPTS:
                raise
            render.note(f"{e.message}; try again ({ENROL_ATTEMPTS - attempt} left)")
    raise AssertionError("unreachable")


@app.command("enroll")
def enroll(
    ctx: typer.Context,
    user: UserArg,
    device_name: Annotated[str | None, typer.Option("--device-name", help="Default: the user name.")] = None,
    issuer: IssuerOpt = None,
    invert: Annotated[bool, typer.Option("--invert", help="Draw for a light terminal background.")] = False,
    qr_png: PngOpt = None,
    no_qr: Annotated[bool, typer.Option("--no-qr", help="Do not draw the QR code in the terminal.")] = False,
    code1: Code1Opt = None,
    code2: Code2Opt = None,
    output: OutputOpt = None,
) -> None:
    """Enrol an authenticator app for a user: show a QR code, check two codes, enable the device.

    Prints the otpauth QR code (half blocks; --invert for light backgrounds), the account label,
    the issuer and the base32 secret, then asks for two consecutive codes (three tries). The
    device is created and enabled only once they verify: Ctrl-C or wrong codes store nothing,
    so just run enroll again. The secret is never shown again.

    Example: iamctl mfa enroll alice --qr-png alice-mfa.png
    """
    from iamctl.core.credentials import mfa  # lazy: start-up

    secret_output(ctx, qr_png, option="--qr-png")
    with reading(ctx) as txn:
        enrolment = mfa.prepare_enrolment(txn, user, device_name=device_name, issuer=issuer)
    _show(enrolment, qr=not no_qr, invert=invert, png=qr_png)
    codes = _verified_codes(enrolment, code1, code2)
    with writing(ctx) as txn:
        device = mfa.complete_enrolment(txn, enrolment, *codes)
    render.record(fmt(ctx, output), key="MFADevice", item=device_item(device), title="MFA device enabled")


def _write_seed_file(path: Path, seed: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise typer.BadParameter(f"{path} already exists; the seed file must be a new file") from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(seed + "\n")


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The device name.", metavar="NAME")],
    path: Annotated[str, typer.Option("--path", help="The device's path, e.g. /team/.")] = "/",
    tag: TagOpt = None,
    seed_file: Annotated[Path | None, typer.Option("--seed-file", help="Write the base32 seed to this new "
                                                   "file (mode 0600).", metavar="FILE")] = None,
    qr_png: PngOpt = None,
    issuer: IssuerOpt = None,
    output: OutputOpt = None,
) -> None:
    """Create an unassigned virtual MFA device (create-virtual-mfa-device).

    Its seed is written once, to --seed-file and/or as a QR code to --qr-png (one is required,
    like the AWS CLI's --outfile); it is never printed. Then `mfa enable` it for a user.

    Example: iamctl mfa create bob-phone --seed-file bob.seed && iamctl mfa enable --user bob --serial bob-phone
    """
    from iamctl.core.credentials import mfa, totp  # lazy: start-up

    if seed_file is None and qr_png is None:
        raise typer.BadParameter("give --seed-file FILE and/or --qr-png FILE: the seed is shown only now")
    secret_output(ctx, seed_file, option="--seed-file")
    secret_output(ctx, qr_png, option="--qr-png")
    with writing(ctx) as txn:
        new = mfa.create_virtual_mfa_device(txn, name, path=path, tags=tag_dict(tag))
        if seed_file is not None:
            _write_seed_file(seed_file, new.seed)
        if qr_png is not None:
            from iamctl.cli import qr  # lazy: start-up

            uri = totp.otpauth_uri(new.seed, account_label=name, issuer=issuer or mfa.default_issuer(txn))
            qr.write_png(uri, qr_png)
    render.record(fmt(ctx, output), key="VirtualMFADevice", item={"SerialNumber": new.device.serial})


@app.command("enable")
def enable(ctx: typer.Context, user: UserOpt, serial: SerialOpt, code1: Code1Opt = None, code2: Code2Opt = None,
           output: OutputOpt = None) -> None:
    """Enable a device for a user with two consecutive codes from it (enable-mfa-device).

    Asks for the codes when --code1/--code2 are not given. A user has at most 8 devices.

    Example: iamctl mfa enable --user bob --serial bob-phone --code1 123456 --code2 789012
    """
    from iamctl.core.credentials import mfa  # lazy: start-up

    codes = _codes(code1, code2)
    with writing(ctx) as txn:
        device = mfa.enable_mfa_device(txn, user, serial, *codes)
    render.record(fmt(ctx, output), key="MFADevice", item=device_item(device), title="MFA device enabled")


@app.command("resync")
def resync(ctx: typer.Context, user: UserOpt, serial: SerialOpt, code1: Code1Opt = None,
           code2: Code2Opt = None) -> None:
    """Re-synchronise a user's device with two new consecutive codes (resync-mfa-device).

    Also lifts the 5-failure throttle. Codes already used are refused.

    Example: iamctl mfa resync --user bob --serial bob-phone --code1 123456 --code2 789012
    """
    from iamctl.core.credentials import mfa  # lazy: start-up

    codes = _codes(code1, code2)
    with writing(ctx) as txn:
        mfa.resync_mfa_device(txn, user, serial, *codes)


@app.command("deactivate")
def deactivate(ctx: typer.Context, serial: SerialOpt,
               user: Annotated[str | None, typer.Option("--user", help="Its user (checked when given).",
                                                        autocompletion=complete_users)] = None,
               ) -> None:
    """Untie a device from its user (deactivate-mfa-device); the device remains, unassigned.

    Example: iamctl mfa deactivate --user bob --serial bob-phone
    """
    from iamctl.core.credentials import mfa  # lazy: start-up

    with writing(ctx) as txn:
        mfa.deactivate_mfa_device(txn, serial, user)


@app.command("delete")
def delete(ctx: typer.Context, serial: SerialOpt) -> None:
    """Delete a virtual device and its seed (delete-virtual-mfa-device); deactivate it first.

    Example: iamctl mfa delete --serial arn:aws:iam::111122223333:mfa/bob-phone
    """
    from iamctl.core.credentials import mfa  # lazy: start-up

    with writing(ctx) as txn:
        mfa.delete_virtual_mfa_device(txn, serial)


@app.command("list")
def list_devices(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's devices (list-mfa-devices).",
                                             autocompletion=complete_users)] = None,
    assignment_status: Annotated[str, typer.Option("--assignment-status", help="Assigned, Unassigned or Any.")]
    = "Any",
    output: OutputOpt = None,
) -> None:
    """List virtual MFA devices: serial number, user, date enabled (never a seed).

    With --user, that user's devices (JSON key MFADevices); otherwise every device in the account
    (VirtualMFADevices), filtered by --assignment-status.

    Example: iamctl mfa list --assignment-status Unassigned
    """
    from iamctl.core.credentials import mfa  # lazy: start-up

    with reading(ctx) as txn:
        if user is not None:
            devices, key = mfa.list_mfa_devices(txn, user), "MFADevices"
        else:
            devices, key = mfa.list_virtual_mfa_devices(txn, assignment_status), "VirtualMFADevices"
    render.rows(fmt(ctx, output), key=key, items=[device_item(d) for d in devices],
                columns=["SerialNumber", "UserName", "EnableDate"], title="MFA devices")


@app.command("verify")
def verify(
    ctx: typer.Context,
    user: UserArg,
    code: Annotated[str, typer.Argument(help="The six-digit code.", metavar="CODE")],
    serial: Annotated[str | None, typer.Option("--serial", help="Which device, when the user has several.",
                                               autocompletion=complete_mfa_devices)]
    = None,
) -> None:
    """Check a code from a user's device: exit 0 if valid, 1 if not (for scripts).

    One step (30 s) of clock drift either way is accepted; a code is accepted once only; after
    5 wrong codes in a row the device refuses every code for 300 s. All of it persists.

    Example: iamctl mfa verify alice 123456 && echo ok
    """
    from iamctl.core.credentials import mfa  # lazy: start-up

    with writing(ctx) as txn:  # a refused code is recorded, then reported (the store's attempt records)
        mfa.check_code(txn, user, code, serial=serial)
