"""The terminal QR code and the PNG must scan: decode them with a real decoder (zxing-cpp).

The printed half-block text is rasterised back into pixels the way a terminal shows it: each
character is two modules stacked, a drawn half is the foreground colour, an undrawn one the
background. Decoding with ``try_invert=False`` checks the polarity, not just the pattern.
"""

from __future__ import annotations

import os
import stat
import time
from urllib.parse import parse_qs, urlsplit

import png
import pytest
import zxingcpp

from iamctl.cli import qr
from iamctl.core.credentials import totp

SCALE = 4  # pixels per module
MARGIN = 3  # modules of bare terminal background around the text
LIGHT, DARK = 255, 0

_HALVES = {" ": (False, False), "\u2580": (True, False), "\u2584": (False, True), "\u2588": (True, True)}


def rasterise(text: str, *, background: str) -> memoryview:
    """Pixels of `text` as shown on a terminal with a `background` ("dark" or "light") colour."""
    fg, bg = (LIGHT, DARK) if background == "dark" else (DARK, LIGHT)
    lines = text.split("\n")
    width = len(lines[0])
    assert all(len(line) == width for line in lines), "ragged lines"
    rows: list[list[int]] = [[bg] * (width + 2 * MARGIN) for _ in range(MARGIN)]
    for line in lines:
        top, bottom = [], []
        for ch in line:
            t, b = _HALVES[ch]  # KeyError: a character that is not a half block or space
            top.append(fg if t else bg)
            bottom.append(fg if b else bg)
        for half in (top, bottom):
            rows.append([bg] * MARGIN + half + [bg] * MARGIN)
    rows += [[bg] * (width + 2 * MARGIN) for _ in range(MARGIN)]
    return _to_image(rows, SCALE)


def _to_image(rows: list[list[int]], scale: int) -> memoryview:
    height, width = len(rows) * scale, len(rows[0]) * scale
    buf = bytearray()
    for row in rows:
        line = bytes(v for v in row for _ in range(scale))
        buf += line * scale
    return memoryview(buf).cast("B", (height, width))


def decode(image, *, try_invert: bool = False) -> list[str]:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=try_invert)
    return [b.text for b in found]


@pytest.fixture
def uri() -> str:
    return totp.otpauth_uri(totp.new_seed(), account_label="alice", issuer="iamctl (ALIAS)")


def test_default_rendering_scans_on_a_dark_terminal(uri):
    assert decode(rasterise(qr.render_terminal(uri), background="dark")) == [uri]


def test_inverted_rendering_scans_on_a_light_terminal(uri):
    assert decode(rasterise(qr.render_terminal(uri, invert=True), background="light")) == [uri]


@pytest.mark.parametrize(("invert", "background"), [(False, "light"), (True, "dark")])
def test_wrong_background_gives_a_negative_image(uri, invert, background):
    # The polarity is what the two modes are about: on the wrong background the code comes out
    # light-on-dark, which a strict scanner refuses and an inverting one still reads.
    image = rasterise(qr.render_terminal(uri, invert=invert), background=background)
    assert decode(image) == []
    assert decode(image, try_invert=True) == [uri]


def test_rendering_uses_only_half_blocks_and_spaces_and_no_escape_codes(uri):
    for invert in (False, True):
        text = qr.render_terminal(uri, invert=invert)
        assert set(text) <= {" ", "\u2580", "\u2584", "\u2588", "\n"}
        assert not text.endswith("\n")


def test_quiet_zone_is_four_modules(uri):
    modules = qr.matrix(uri)
    side = len(modules)
    for i in range(qr.QUIET_ZONE):
        for edge in (modules[i], modules[side - 1 - i], [r[i] for r in modules], [r[side - 1 - i] for r in modules]):
            assert not any(edge)
    # ... and no more: the finder pattern starts right after it.
    assert modules[qr.QUIET_ZONE][qr.QUIET_ZONE] is True
    # On a dark terminal the first two lines (four module rows) are solid light blocks.
    lines = qr.render_terminal(uri).split("\n")
    assert lines[0] == lines[1] == "\u2588" * side


def test_typical_uri_fits_an_80x24_terminal(uri):
    lines = qr.render_terminal(uri).split("\n")
    assert qr.terminal_size(uri) == (len(lines), len(lines[0]))
    assert len(uri) == 101
    assert (len(lines), len(lines[0])) == (23, 45)  # QR version 5 with the quiet zone


def test_size_grows_past_24_lines_beyond_version_5():
    # 107 bytes no longer fit version 5 at level L (106 bytes): version 6 needs 25 lines.
    assert qr.terminal_size("x" * 106) == (23, 45)
    assert qr.terminal_size("x" * 107) == (25, 49)


def test_png_scans_and_is_private(uri, tmp_path):
    path = tmp_path / "mfa.png"
    qr.write_png(uri, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\x89PNG\r\n\x1a\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # it holds the MFA seed
    assert [p.name for p in tmp_path.iterdir()] == ["mfa.png"]  # no temporary left behind

    width, height, rows, info = png.Reader(bytes=raw).asDirect()
    top = (1 << info["bitdepth"]) - 1
    assert info["greyscale"] and not info["alpha"]
    pixels = [[v * 255 // top for v in row] for row in rows]
    assert (len(pixels), len(pixels[0])) == (height, width)
    assert decode(_to_image(pixels, 1)) == [uri]


def test_write_png_replaces_an_existing_file(uri, tmp_path):
    path = tmp_path / "mfa.png"
    path.write_bytes(b"old")
    path.chmod(0o644)
    qr.write_png(uri, path)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_decoded_secret_enables_the_device(uri):
    # End to end: what an authenticator app scans from the terminal yields codes that
    # EnableMFADevice's consecutive-code check accepts.
    (text,) = decode(rasterise(qr.render_terminal(uri), background="dark"))
    secret = parse_qs(urlsplit(text).query)["secret"][0]
    now = time.time()
    code1, code2 = totp.code_at(secret, now - totp.PERIOD), totp.code_at(secret, now)
    step = totp.verify_consecutive(secret, code1, code2, now)
    assert step == totp.time_step(now)
