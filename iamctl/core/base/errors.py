"""One exception hierarchy for everything the core refuses to do.

Each error carries the AWS-style error code that AWS IAM would return for the same fault
(NoSuchEntity, EntityAlreadyExists, ...) and a one-line human message. The CLI catches
`IamError` in exactly one place, prints `iamctl: error: CODE: message` and exits 1.
"""

from __future__ import annotations


class IamError(Exception):
    """Base class: an operation was refused. `code` is the AWS error code."""

    code = "ServiceFailure"

    def __init__(self, message: str):
        # One line, always: the CLI prints it as is.
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        return str(self)


class NoSuchEntity(IamError):
    code = "NoSuchEntity"


class EntityAlreadyExists(IamError):
    code = "EntityAlreadyExists"


class DeleteConflict(IamError):
    code = "DeleteConflict"


class LimitExceeded(IamError):
    code = "LimitExceeded"


class MalformedPolicyDocument(IamError):
    code = "MalformedPolicyDocument"


class InvalidInput(IamError):
    code = "InvalidInput"


class ValidationError(IamError):
    """AWS returns ValidationError for names and paths that break the documented pattern."""

    code = "ValidationError"


class PasswordPolicyViolation(IamError):
    code = "PasswordPolicyViolation"


class EntityTemporarilyUnmodifiable(IamError):
    code = "EntityTemporarilyUnmodifiable"


class InvalidAuthenticationCode(IamError):
    code = "InvalidAuthenticationCode"


class AccessDenied(IamError):
    code = "AccessDenied"


class InvalidClientTokenId(IamError):
    """An access key id or session token that is unknown, inactive or expired."""

    code = "InvalidClientTokenId"


class SignatureDoesNotMatch(IamError):
    """The access key id exists but the secret given with it is wrong."""

    code = "SignatureDoesNotMatch"


class PasswordResetRequired(IamError):
    """The password must be changed as part of this sign-in (reset required, or expired)."""

    code = "PasswordResetRequired"


class MfaCodeRequired(AccessDenied):
    """The user has an enabled MFA device and no code was given."""


class InvalidIdentityToken(IamError):
    """STS's error for a web-identity token it cannot accept (issuer, audience, signature)."""

    code = "InvalidIdentityToken"


class ExpiredToken(IamError):
    code = "ExpiredTokenException"


class StoreError(IamError):
    """The account directory itself is unusable: damaged, from a newer iamctl, unwritable."""

    code = "StoreError"


class NotAnAccountDirectory(StoreError):
    """A command that only reads was pointed at a directory that holds no account (it creates none)."""


class StoreLocked(StoreError):
    code = "StoreLocked"


# -- AWS Organizations ------------------------------------------------------------------------
# The Organizations API's own error codes (botocore's organizations service model), raised by
# `iamctl org ...` for the same faults AWS refuses.


class OrganizationsError(IamError):
    """An Organizations refusal; `reason` is AWS's reason code where the error has one."""

    def __init__(self, message: str, *, reason: str | None = None):
        super().__init__(f"{message} (reason: {reason})" if reason else message)
        self.reason = reason


class AWSOrganizationsNotInUse(OrganizationsError):
    code = "AWSOrganizationsNotInUseException"


class AlreadyInOrganization(OrganizationsError):
    code = "AlreadyInOrganizationException"


class OrgConstraintViolation(OrganizationsError):
    """A minimum or maximum (policy size, policies per target, OU depth, the last SCP)."""

    code = "ConstraintViolationException"


class OrgInvalidInput(OrganizationsError):
    code = "InvalidInputException"


class DuplicatePolicyAttachment(OrganizationsError):
    code = "DuplicatePolicyAttachmentException"


class PolicyNotAttached(OrganizationsError):
    code = "PolicyNotAttachedException"


class PolicyNotFound(OrganizationsError):
    code = "PolicyNotFoundException"


class DuplicatePolicy(OrganizationsError):
    code = "DuplicatePolicyException"


class PolicyInUse(OrganizationsError):
    code = "PolicyInUseException"


class PolicyTypeNotEnabled(OrganizationsError):
    code = "PolicyTypeNotEnabledException"


class PolicyTypeNotAvailable(OrganizationsError):
    code = "PolicyTypeNotAvailableForOrganizationException"


class MalformedOrgPolicyDocument(OrganizationsError):
    code = "MalformedPolicyDocumentException"


class TargetNotFound(OrganizationsError):
    code = "TargetNotFoundException"


class ParentNotFound(OrganizationsError):
    code = "ParentNotFoundException"


class ChildNotFound(OrganizationsError):
    code = "ChildNotFoundException"


class DestinationParentNotFound(OrganizationsError):
    code = "DestinationParentNotFoundException"


class DuplicateOrganizationalUnit(OrganizationsError):
    code = "DuplicateOrganizationalUnitException"


class OrganizationalUnitNotFound(OrganizationsError):
    code = "OrganizationalUnitNotFoundException"


class OrganizationalUnitNotEmpty(OrganizationsError):
    code = "OrganizationalUnitNotEmptyException"


class OrganizationNotEmpty(OrganizationsError):
    code = "OrganizationNotEmptyException"


class AccountNotFound(OrganizationsError):
    code = "AccountNotFoundException"


class DuplicateAccount(OrganizationsError):
    code = "DuplicateAccountException"


class MasterCannotLeaveOrganization(OrganizationsError):
    code = "MasterCannotLeaveOrganizationException"
