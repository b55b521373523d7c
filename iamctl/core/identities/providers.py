"""Identity providers: OpenID Connect and SAML 2.0 (CreateOpenIDConnectProvider,
CreateSAMLProvider, ListOpenIDConnectProviders, DeleteOpenIDConnectProvider, ...).

An OIDC provider's URL begins with https://, it has 1-100 client ids and 0-5 thumbprints (40 hex
digits each); its ARN is arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH. A SAML provider keeps its
metadata document as given.
"""

from __future__ import annotations

import hashlib
import json
import re

from iamctl.core.base import clock, jsonload, names
from iamctl.core.base.errors import (
    EntityAlreadyExists,
    InvalidInput,
    NoSuchEntity,
    ValidationError,
)
from iamctl.core.identities.account import check_quota
from iamctl.core.store.directory import Txn, file_key
from iamctl.core.store.records import OidcProvider, SamlProvider

_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")


_SAML_NAME = re.compile(r"^[\w._-]{1,128}$")


def oidc_identifier(url: str) -> str:
    """The provider's URL without `https://` and without a trailing `/`: the part of its ARN
    and of its condition keys (`token.actions.githubusercontent.com:sub`)."""
    return url.removeprefix("https://").rstrip("/")


def _oidc_key(url: str) -> str:
    ident = oidc_identifier(url).lower().replace("/", "+")
    try:
        if len(ident) <= 128:
            return file_key(ident)
    except InvalidInput:
        pass
    return "sha256-" + hashlib.sha256(ident.encode()).hexdigest()[:40]


def oidc_arn(txn: Txn, provider: OidcProvider) -> str:
    """arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH."""
    return f"arn:aws:iam::{txn.account_id}:oidc-provider/{oidc_identifier(provider.url)}"


def find_oidc_provider(txn: Txn, ref: str) -> OidcProvider | None:
    """An OIDC provider by ARN, URL, or URL without https:// (as in a token's `iss`)."""
    if ref.startswith("arn:"):
        head, _, ident = ref.partition(":oidc-provider/")
        if not ident or head.split(":")[4:5] != [txn.account_id]:
            return None
        ref = ident
    return txn.get("oidc-provider", _oidc_key("https://" + oidc_identifier(ref)))


def require_oidc_provider(txn: Txn, ref: str) -> OidcProvider:
    """Like `find_oidc_provider`, NoSuchEntity with AWS's wording when there is none."""
    found = find_oidc_provider(txn, ref)
    if found is None:
        raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {_as_arn(txn, ref)}")
    return found


def _as_arn(txn: Txn, ref: str) -> str:
    return ref if ref.startswith("arn:") else f"arn:aws:iam::{txn.account_id}:oidc-provider/{oidc_identifier(ref)}"


def check_jwks(text: str) -> str:
    """A JWKS document: JSON with a non-empty `keys` list of public keys (each with `kty`)."""
    try:
        doc = jsonload.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"JWKS is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    keys = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) and "kty" in k for k in keys):
        raise InvalidInput('JWKS must be a JSON object with a non-empty "keys" list of keys, each with "kty"')
    if any("d" in k for k in keys):
        raise InvalidInput("JWKS holds a private key (it has a \"d\" member): register the public keys only")
    return text


def create_oidc_provider(txn: Txn, url: str, client_ids: list[str], *, thumbprints: list[str] | None = None,
                         jwks: str | None = None, tags: dict[str, str] | None = None) -> OidcProvider:
    """Register an OpenID Connect provider (CreateOpenIDConnectProvider).

    `url` must begin with https:// and be at most 255 characters, with no query or fragment;
    1-100 client ids (audiences) of 1-255 characters; 0-5 thumbprints of 40 hex digits. `jwks`
    (the provider's public keys) lets `assume-web-identity` verify token signatures offline.
    """
    thumbprints = list(thumbprints or [])
    if not url.startswith("https://") or len(url) > 255 or len(url) <= len("https://") or any(
            c in url for c in "?#"):
        raise ValidationError(f"provider URL {url!r} must begin with https://, be at most 255 characters "
                              "and have no query or fragment")
    if not 1 <= len(client_ids) <= 100 or not all(1 <= len(c) <= 255 for c in client_ids):
        raise ValidationError("give 1 to 100 client ids (audiences), each 1 to 255 characters")
    if len(thumbprints) > 5 or not all(_THUMBPRINT.match(t) for t in thumbprints):
        raise ValidationError("give at most 5 thumbprints, each 40 hexadecimal digits (a SHA-1 fingerprint)")
    if jwks is not None:
        check_jwks(jwks)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    key = _oidc_key(url)
    if txn.exists("oidc-provider", key):
        raise EntityAlreadyExists(f"Provider with url {url} already exists.")
    check_quota(txn, "oidc_providers", txn.count("oidc-provider"), what="OpenIdConnectProvidersPerAccount")
    provider = OidcProvider(key=key, url=url.rstrip("/"), created=clock.iso(), client_ids=list(client_ids),
                            thumbprints=[t.lower() for t in thumbprints], jwks=jwks, tags=tags)
    txn.put("oidc-provider", provider)
    return provider


def saml_arn(txn: Txn, provider: SamlProvider) -> str:
    """arn:aws:iam::ACCOUNT:saml-provider/NAME."""
    return f"arn:aws:iam::{txn.account_id}:saml-provider/{provider.name}"


def _saml_valid_until(metadata: str) -> str | None:
    import xml.etree.ElementTree as ET  # lazy: start-up  # noqa: S405  # expat ≥ 2.4.1 refuses entity expansion bombs

    try:
        root = ET.fromstring(metadata)  # noqa: S314  # see above; no external entities are fetched
    except ET.ParseError as e:
        raise InvalidInput(f"SAML metadata is not well-formed XML: {e}") from None
    if not root.tag.endswith("}EntityDescriptor") and root.tag != "EntityDescriptor":
        raise InvalidInput("SAML metadata must be an md:EntityDescriptor document (the IdP's metadata)")
    until = root.get("validUntil")
    if until is None:
        return None
    try:
        return clock.iso(clock.parse_instant(until))
    except ValueError:
        raise InvalidInput(f"SAML metadata validUntil {until!r} is not a date and time") from None


def create_saml_provider(txn: Txn, name: str, metadata: str, *,
                         tags: dict[str, str] | None = None) -> SamlProvider:
    """Register a SAML 2.0 provider (CreateSAMLProvider): a name of 1-128 letters, digits and
    . _ -, and the IdP's metadata document (1,000 to 10,000,000 characters of XML)."""
    if not _SAML_NAME.match(name):
        raise ValidationError(f"SAML provider name {name!r} must be 1 to 128 letters, digits and . _ -")
    if not 1000 <= len(metadata) <= 10_000_000:
        raise ValidationError(f"SAML metadata must be 1,000 to 10,000,000 characters, not {len(metadata)}")
    valid_until = _saml_valid_until(metadata)
    tags = names.check_tags(dict(tags or {}), limit=txn.account.quotas.tags_per_entity)
    if txn.exists("saml-provider", name):
        raise EntityAlreadyExists(f"SAMLProvider {name} already exists.")
    check_quota(txn, "saml_providers", txn.count("saml-provider"), what="SAMLProvidersPerAccount")
    provider = SamlProvider(name=name, created=clock.iso(), metadata=metadata, valid_until=valid_until, tags=tags)
    txn.put("saml-provider", provider)
    return provider


def list_providers(txn: Txn) -> list[tuple[str, OidcProvider | SamlProvider]]:
    """Every OIDC and SAML provider of the account as (ARN, provider), OIDC first."""
    found: list[tuple[str, OidcProvider | SamlProvider]] = [
        (oidc_arn(txn, p), p) for p in txn.list("oidc-provider")]
    found += [(saml_arn(txn, p), p) for p in txn.list("saml-provider")]
    return found


def delete_provider(txn: Txn, ref: str) -> str:
    """Delete an OIDC provider (by ARN or URL) or a SAML provider (by ARN or name); return its
    ARN. Roles that trust it keep their trust policies, as in AWS, but no token of it is
    accepted any more."""
    if ":saml-provider/" in ref or (not ref.startswith("arn:") and _SAML_NAME.match(ref)
                                    and txn.exists("saml-provider", ref)):
        name = ref.rsplit("/", 1)[-1]
        provider = txn.get("saml-provider", name)
        if provider is None:
            raise NoSuchEntity(f"SAMLProvider {ref} not found.")
        txn.delete("saml-provider", provider.name)
        return saml_arn(txn, provider)
    oidc = require_oidc_provider(txn, ref)
    txn.delete("oidc-provider", oidc.key)
    return oidc_arn(txn, oidc)
