"""`iamctl role provider ...`: OIDC and SAML identity providers for federation."""

from typing import TYPE_CHECKING, Annotated

import typer

from iamctl.cli import render
from iamctl.cli.common import OutputOpt, fmt, reading, writing
from iamctl.cli.policy_commands import read_document
from iamctl.cli.syntax import TagOpt, tag_dict

if TYPE_CHECKING:
    pass

app = typer.Typer(no_args_is_help=True, help="OIDC and SAML identity providers for federation.")



@app.command("create-oidc")
def create_oidc(
    ctx: typer.Context,
    url: Annotated[str, typer.Option("--url", help="The issuer URL, https://...")],
    client_id: Annotated[list[str], typer.Option("--client-id", help="An audience (repeatable).")],
    thumbprint: Annotated[list[str] | None, typer.Option("--thumbprint", help="A 40-hex-digit certificate "
                          "thumbprint (repeatable, at most 5).")] = None,
    jwks: Annotated[str | None, typer.Option("--jwks", help="The provider's public keys (JWKS JSON file), to "
                    "verify tokens.", metavar="FILE")] = None,
    tag: TagOpt = None,
    output: OutputOpt = None,
) -> None:
    """Register an OpenID Connect provider.

    Example: iamctl role provider create-oidc --url https://token.actions.githubusercontent.com --client-id sts.amazonaws.com
    """
    from iamctl.core.identities import providers  # lazy: start-up

    keys = read_document(jwks) if jwks else None
    with writing(ctx) as txn:
        p = providers.create_oidc_provider(txn, url, client_id, thumbprints=thumbprint, jwks=keys,
                                       tags=tag_dict(tag))
        arn = providers.oidc_arn(txn, p)
    render.record(fmt(ctx, output), key=None, item={"OpenIDConnectProviderArn": arn})


@app.command("create-saml")
def create_saml(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The provider's name.", metavar="NAME")],
    metadata: Annotated[str, typer.Option("--metadata", help="The IdP's SAML metadata XML file.",
                        metavar="FILE")],
    tag: TagOpt = None,
    output: OutputOpt = None,
) -> None:
    """Register a SAML 2.0 provider from its metadata document.

    Example: iamctl role provider create-saml corp-idp --metadata idp-metadata.xml
    """
    from iamctl.core.identities import providers  # lazy: start-up

    text = read_document(metadata)
    with writing(ctx) as txn:
        p = providers.create_saml_provider(txn, name, text, tags=tag_dict(tag))
        arn = providers.saml_arn(txn, p)
    render.record(fmt(ctx, output), key=None, item={"SAMLProviderArn": arn})


@app.command("list")
def provider_list(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the OIDC and SAML providers.

    Example: iamctl role provider list -o json
    """
    from iamctl.core.identities import providers  # lazy: start-up
    from iamctl.core.store.records import OidcProvider  # lazy: start-up

    with reading(ctx) as txn:
        found = providers.list_providers(txn)
    items = [{"Arn": arn, "Type": "OIDC" if isinstance(p, OidcProvider) else "SAML", "CreateDate": p.created,
              "ClientIDList": list(getattr(p, "client_ids", [])),
              "JwksRegistered": bool(getattr(p, "jwks", None)), "ValidUntil": getattr(p, "valid_until", None)}
             for arn, p in found]
    render.rows(fmt(ctx, output), key="Providers", items=items, columns=["Arn", "Type", "CreateDate", "ClientIDList"])


@app.command("delete")
def provider_delete(ctx: typer.Context,
                    provider: Annotated[str, typer.Argument(help="ARN, OIDC URL or SAML name.",
                                                            metavar="PROVIDER")]) -> None:
    """Delete an OIDC or SAML provider.

    Example: iamctl role provider delete https://token.actions.githubusercontent.com
    """
    from iamctl.core.identities import providers  # lazy: start-up

    with writing(ctx) as txn:
        providers.delete_provider(txn, provider)
