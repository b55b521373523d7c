"""Operations over a whole account: batch onboarding, the credential report, import and export of
authorization details, CloudFormation export."""
