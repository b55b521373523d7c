"""The privilege-escalation techniques `analyze escalation` looks for, as data.

Sources (facts only; README, "Escalation techniques", lists every entry with them):

- Rhino Security Labs, Spencer Gietzen, "AWS IAM Privilege Escalation – Methods and Mitigation"
  (2018-2019): the 21 original methods, numbered 1-21 (`rhino`).
- DataDog's pathfinding.cloud path catalogue (github.com/DataDog/pathfinding.cloud,
  data/paths/*/*.yaml, Apache-2.0): 65 paths, by their ids (`iam-001`, `ec2-001`, ...).
  Rhino's method 2, SetDefaultPolicyVersion, is not among them and is listed as `rhino-2`.

How each kind is evaluated (escalation.py), every permission decided by the engine:

- `policy`: the actor writes permissions for a principal it is or can become (an inline policy,
  an attached AdministratorAccess, a new default policy version, a group to join); the end
  state is that principal with the change, evaluated by the engine (boundaries and Denies count).
- `access`: the actor obtains another principal's credentials or session (assume a role; update
  a trust policy, then assume; create an access key or a console password for a user).
- `passrole`: the actor passes a role to an AWS service whose trust policy admits it and has the
  service run its code as that role; `needs` says what must already exist (then the path is
  conditional).
- `existing`: the actor takes over a resource that already runs as a role (a Lambda function,
  an instance, a stack): the directory cannot see such resources, so the path is conditional.
- `composite`: two techniques in a row, found by the graph search; named on the paths that use them.
"""

from __future__ import annotations

from msgspec import Struct

ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"

POLICY, ACCESS, PASSROLE, EXISTING, COMPOSITE = "policy", "access", "passrole", "existing", "composite"


class Technique(Struct, frozen=True):
    id: str
    name: str
    kind: str
    actions: tuple[str, ...] = ()  # what the actor calls, besides iam:PassRole
    services: tuple[str, ...] = ()  # service principals that run as the role
    profile: bool = False  # EC2: the role must be in an instance profile
    needs: str = ""  # what must exist that the directory cannot show ({role} is the role)
    rhino: int | None = None
    parts: tuple[str, ...] = ()  # composite: the techniques it chains
    source: str = ""  # who documented it first (pathfinding.cloud's attribution)


def _t(id: str, name: str, kind: str, *actions: str, **kw) -> Technique:
    return Technique(id, name, kind, tuple(actions), **kw)


_EC2 = ("ec2.amazonaws.com",)
_RHINO = "Spencer Gietzen, Rhino Security Labs"
_NCC = "Erik Steringer, NCC Group"
_DD = "Seth Art, Datadog"

CATALOGUE: tuple[Technique, ...] = (
    # -- writing permissions ------------------------------------------------------------------
    _t("iam-001", "iam:CreatePolicyVersion", POLICY, "iam:CreatePolicyVersion", rhino=1, source=_RHINO),
    _t("rhino-2", "iam:SetDefaultPolicyVersion", POLICY, "iam:SetDefaultPolicyVersion", rhino=2, source=_RHINO),
    _t("iam-005", "iam:PutRolePolicy", POLICY, "iam:PutRolePolicy", rhino=12, source=_RHINO),
    _t("iam-007", "iam:PutUserPolicy", POLICY, "iam:PutUserPolicy", rhino=10, source=_RHINO),
    _t("iam-008", "iam:AttachUserPolicy", POLICY, "iam:AttachUserPolicy", rhino=7, source=_RHINO),
    _t("iam-009", "iam:AttachRolePolicy", POLICY, "iam:AttachRolePolicy", rhino=9, source=_RHINO),
    _t("iam-010", "iam:AttachGroupPolicy", POLICY, "iam:AttachGroupPolicy", rhino=8, source=_RHINO),
    _t("iam-011", "iam:PutGroupPolicy", POLICY, "iam:PutGroupPolicy", rhino=11, source=_RHINO),
    _t("iam-013", "iam:AddUserToGroup", POLICY, "iam:AddUserToGroup", rhino=13, source=_RHINO),
    # -- obtaining another principal ----------------------------------------------------------
    _t("sts-001", "sts:AssumeRole", ACCESS, "sts:AssumeRole", source=_RHINO),
    _t("iam-012", "iam:UpdateAssumeRolePolicy", ACCESS, "iam:UpdateAssumeRolePolicy", rhino=14, source=_RHINO),
    _t("iam-002", "iam:CreateAccessKey", ACCESS, "iam:CreateAccessKey", rhino=4, source=_RHINO),
    _t("iam-003", "iam:CreateAccessKey + iam:DeleteAccessKey", ACCESS, "iam:DeleteAccessKey", "iam:CreateAccessKey",
       source=_DD),
    _t("iam-004", "iam:CreateLoginProfile", ACCESS, "iam:CreateLoginProfile", rhino=5, source=_RHINO),
    _t("iam-006", "iam:UpdateLoginProfile", ACCESS, "iam:UpdateLoginProfile", rhino=6, source=_RHINO),
    # -- two of the above in a row (found as two edges of the graph) ---------------------------
    _t("iam-014", "iam:AttachRolePolicy + sts:AssumeRole", COMPOSITE, parts=("iam-009", "sts-001"), source=_RHINO),
    _t("iam-015", "iam:AttachUserPolicy + iam:CreateAccessKey", COMPOSITE, parts=("iam-008", "iam-002"),
       source=_RHINO),
    _t("iam-016", "iam:CreatePolicyVersion + sts:AssumeRole", COMPOSITE, parts=("iam-001", "sts-001"),
       source=_RHINO),
    _t("iam-017", "iam:PutRolePolicy + sts:AssumeRole", COMPOSITE, parts=("iam-005", "sts-001"), source=_RHINO),
    _t("iam-018", "iam:PutUserPolicy + iam:CreateAccessKey", COMPOSITE, parts=("iam-007", "iam-002"),
       source=_RHINO),
    _t("iam-019", "iam:AttachRolePolicy + iam:UpdateAssumeRolePolicy", COMPOSITE, parts=("iam-009", "iam-012"),
       source=_RHINO),
    _t("iam-020", "iam:CreatePolicyVersion + iam:UpdateAssumeRolePolicy", COMPOSITE, parts=("iam-001", "iam-012"),
       source=_RHINO),
    _t("iam-021", "iam:PutRolePolicy + iam:UpdateAssumeRolePolicy", COMPOSITE, parts=("iam-005", "iam-012"),
       source=_RHINO),
    # -- passing a role to a service ----------------------------------------------------------
    _t("ec2-001", "iam:PassRole + ec2:RunInstances", PASSROLE, "ec2:RunInstances", services=_EC2, profile=True,
       rhino=3, source=_RHINO),
    _t("ec2-003", "iam:PassRole + ec2:RequestSpotInstances", PASSROLE, "ec2:RequestSpotInstances", services=_EC2,
       profile=True),
    _t("lambda-001", "iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction", PASSROLE,
       "lambda:CreateFunction", "lambda:InvokeFunction", services=("lambda.amazonaws.com",), rhino=15,
       source=_RHINO),
    _t("lambda-002", "iam:PassRole + lambda:CreateFunction + lambda:CreateEventSourceMapping", PASSROLE,
       "lambda:CreateFunction", "lambda:CreateEventSourceMapping", services=("lambda.amazonaws.com",),
       needs="an event source to map to the new function (a DynamoDB or Kinesis stream, or an SQS queue)",
       rhino=16, source=_RHINO),
    _t("lambda-006", "iam:PassRole + lambda:CreateFunction + lambda:AddPermission", PASSROLE,
       "lambda:CreateFunction", "lambda:AddPermission", services=("lambda.amazonaws.com",), source=_DD),
    _t("glue-001", "iam:PassRole + glue:CreateDevEndpoint", PASSROLE, "glue:CreateDevEndpoint",
       services=("glue.amazonaws.com",), rhino=18, source=_RHINO),
    _t("glue-003", "iam:PassRole + glue:CreateJob + glue:StartJobRun", PASSROLE, "glue:CreateJob",
       "glue:StartJobRun", services=("glue.amazonaws.com",)),
    _t("glue-004", "iam:PassRole + glue:CreateJob + glue:CreateTrigger", PASSROLE, "glue:CreateJob",
       "glue:CreateTrigger", services=("glue.amazonaws.com",)),
    _t("glue-005", "iam:PassRole + glue:UpdateJob + glue:StartJobRun", PASSROLE, "glue:UpdateJob",
       "glue:StartJobRun", services=("glue.amazonaws.com",), needs="an existing Glue job to update"),
    _t("glue-006", "iam:PassRole + glue:UpdateJob + glue:CreateTrigger", PASSROLE, "glue:UpdateJob",
       "glue:CreateTrigger", services=("glue.amazonaws.com",), needs="an existing Glue job to update"),
    _t("cloudformation-001", "iam:PassRole + cloudformation:CreateStack", PASSROLE, "cloudformation:CreateStack",
       services=("cloudformation.amazonaws.com",), rhino=20, source=_RHINO),
    _t("cloudformation-003", "iam:PassRole + cloudformation:CreateStackSet + cloudformation:CreateStackInstances",
       PASSROLE, "cloudformation:CreateStackSet", "cloudformation:CreateStackInstances",
       services=("cloudformation.amazonaws.com",), source=_DD),
    _t("cloudformation-004", "iam:PassRole + cloudformation:UpdateStackSet", PASSROLE,
       "cloudformation:UpdateStackSet", services=("cloudformation.amazonaws.com",),
       needs="an existing StackSet with stack instances (or the right to create them)", source="HackTricks"),
    _t("datapipeline-001", "iam:PassRole + datapipeline:CreatePipeline + datapipeline:PutPipelineDefinition + "
       "datapipeline:ActivatePipeline", PASSROLE, "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
       "datapipeline:ActivatePipeline", services=("datapipeline.amazonaws.com", "elasticmapreduce.amazonaws.com"),
       rhino=21, source=_RHINO),
    _t("codebuild-001", "iam:PassRole + codebuild:CreateProject + codebuild:StartBuild", PASSROLE,
       "codebuild:CreateProject", "codebuild:StartBuild", services=("codebuild.amazonaws.com",), source=_NCC),
    _t("codebuild-004", "iam:PassRole + codebuild:CreateProject + codebuild:StartBuildBatch", PASSROLE,
       "codebuild:CreateProject", "codebuild:StartBuildBatch", services=("codebuild.amazonaws.com",), source=_NCC),
    _t("sagemaker-001", "iam:PassRole + sagemaker:CreateNotebookInstance", PASSROLE,
       "sagemaker:CreateNotebookInstance", services=("sagemaker.amazonaws.com",), source=_RHINO),
    _t("sagemaker-002", "iam:PassRole + sagemaker:CreateTrainingJob", PASSROLE, "sagemaker:CreateTrainingJob",
       services=("sagemaker.amazonaws.com",), needs="an S3 bucket the training job can use for its data and output",
       source=_NCC),
    _t("sagemaker-003", "iam:PassRole + sagemaker:CreateProcessingJob", PASSROLE, "sagemaker:CreateProcessingJob",
       services=("sagemaker.amazonaws.com",), needs="an S3 bucket the processing job can use for its input and output",
       source=_NCC),
    _t("ecs-001", "iam:PassRole + ecs:CreateCluster + ecs:RegisterTaskDefinition + ecs:CreateService", PASSROLE,
       "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService", services=("ecs-tasks.amazonaws.com",),
       source=_DD),
    _t("ecs-002", "iam:PassRole + ecs:CreateCluster + ecs:RegisterTaskDefinition + ecs:RunTask", PASSROLE,
       "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:RunTask", services=("ecs-tasks.amazonaws.com",),
       source=_DD),
    _t("ecs-003", "iam:PassRole + ecs:RegisterTaskDefinition + ecs:CreateService", PASSROLE,
       "ecs:RegisterTaskDefinition", "ecs:CreateService", services=("ecs-tasks.amazonaws.com",),
       needs="an existing ECS cluster"),
    _t("ecs-004", "iam:PassRole + ecs:RegisterTaskDefinition + ecs:RunTask", PASSROLE, "ecs:RegisterTaskDefinition",
       "ecs:RunTask", services=("ecs-tasks.amazonaws.com",), needs="an existing ECS cluster",
       source="Nick Spagnola, Rhino Security Labs"),
    _t("ecs-005", "iam:PassRole + ecs:RegisterTaskDefinition + ecs:StartTask", PASSROLE,
       "ecs:RegisterTaskDefinition", "ecs:StartTask", services=("ecs-tasks.amazonaws.com",),
       needs="an existing ECS cluster with a registered EC2 container instance"),
    _t("apprunner-001", "iam:PassRole + apprunner:CreateService", PASSROLE, "apprunner:CreateService",
       services=("tasks.apprunner.amazonaws.com",), source="Bollina Bhagavan, Appsecco"),
    _t("bedrock-001", "iam:PassRole + bedrock-agentcore:CreateCodeInterpreter + "
       "bedrock-agentcore:StartCodeInterpreterSession + bedrock-agentcore:InvokeCodeInterpreter", PASSROLE,
       "bedrock-agentcore:CreateCodeInterpreter", "bedrock-agentcore:StartCodeInterpreterSession",
       "bedrock-agentcore:InvokeCodeInterpreter", services=("bedrock-agentcore.amazonaws.com",),
       source="Nigel Sood, Sonrai Security"),
    # -- taking over a resource that already runs as a role ---------------------------------
    _t("lambda-003", "lambda:UpdateFunctionCode", EXISTING, "lambda:UpdateFunctionCode",
       services=("lambda.amazonaws.com",), needs="a Lambda function running as {role}, invoked by something",
       rhino=17, source=_RHINO),
    _t("lambda-004", "lambda:UpdateFunctionCode + lambda:InvokeFunction", EXISTING, "lambda:UpdateFunctionCode",
       "lambda:InvokeFunction", services=("lambda.amazonaws.com",), needs="a Lambda function running as {role}"),
    _t("lambda-005", "lambda:UpdateFunctionCode + lambda:AddPermission", EXISTING, "lambda:UpdateFunctionCode",
       "lambda:AddPermission", services=("lambda.amazonaws.com",), needs="a Lambda function running as {role}"),
    _t("glue-002", "glue:UpdateDevEndpoint", EXISTING, "glue:UpdateDevEndpoint", services=("glue.amazonaws.com",),
       needs="a Glue development endpoint running as {role}", rhino=19, source=_RHINO),
    _t("cloudformation-002", "cloudformation:UpdateStack", EXISTING, "cloudformation:UpdateStack",
       services=("cloudformation.amazonaws.com",), needs="a CloudFormation stack whose service role is {role}",
       source=_NCC),
    _t("cloudformation-005", "cloudformation:CreateChangeSet + cloudformation:ExecuteChangeSet", EXISTING,
       "cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet",
       services=("cloudformation.amazonaws.com",), needs="a CloudFormation stack whose service role is {role}",
       source=_NCC),
    _t("codebuild-002", "codebuild:StartBuild", EXISTING, "codebuild:StartBuild",
       services=("codebuild.amazonaws.com",), needs="a CodeBuild project whose service role is {role}, allowing "
       "buildspec overrides", source=_NCC),
    _t("codebuild-003", "codebuild:StartBuildBatch", EXISTING, "codebuild:StartBuildBatch",
       services=("codebuild.amazonaws.com",), needs="a CodeBuild project for batch builds whose service role is "
       "{role}", source=_NCC),
    _t("sagemaker-004", "sagemaker:CreatePresignedNotebookInstanceUrl", EXISTING,
       "sagemaker:CreatePresignedNotebookInstanceUrl", services=("sagemaker.amazonaws.com",),
       needs="a SageMaker notebook instance in service running as {role}", source=_RHINO),
    _t("sagemaker-005", "sagemaker:CreateNotebookInstanceLifecycleConfig + sagemaker:StopNotebookInstance + "
       "sagemaker:UpdateNotebookInstance + sagemaker:StartNotebookInstance", EXISTING,
       "sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:StopNotebookInstance",
       "sagemaker:UpdateNotebookInstance", "sagemaker:StartNotebookInstance", services=("sagemaker.amazonaws.com",),
       needs="a SageMaker notebook instance running as {role}", source="Daniel Grzelak, Plerion"),
    _t("ssm-001", "ssm:StartSession", EXISTING, "ssm:StartSession", services=_EC2, profile=True,
       needs="a running EC2 instance with the SSM agent, launched with an instance profile of {role}",
       source=_NCC),
    _t("ssm-002", "ssm:SendCommand", EXISTING, "ssm:SendCommand", services=_EC2, profile=True,
       needs="a running EC2 instance with the SSM agent, launched with an instance profile of {role}",
       source=_NCC),
    _t("ec2instanceconnect-003", "ec2-instance-connect:SendSSHPublicKey", EXISTING,
       "ec2-instance-connect:SendSSHPublicKey", services=_EC2, profile=True,
       needs="a running EC2 instance with EC2 Instance Connect and SSH reachable, launched with an instance "
       "profile of {role}", source="Seth Art, Bishop Fox"),
    _t("ec2-002", "ec2:ModifyInstanceAttribute + ec2:StopInstances + ec2:StartInstances", EXISTING,
       "ec2:StopInstances", "ec2:ModifyInstanceAttribute", "ec2:StartInstances", services=_EC2, profile=True,
       needs="an EC2 instance launched with an instance profile of {role}", source="Daniel Grzelak"),
    _t("ec2-004", "ec2:CreateLaunchTemplateVersion + ec2:ModifyLaunchTemplate", EXISTING,
       "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", services=_EC2, profile=True,
       needs="a launch template with an instance profile of {role}, used to launch instances"),
    _t("apprunner-002", "apprunner:UpdateService", EXISTING, "apprunner:UpdateService",
       services=("tasks.apprunner.amazonaws.com",), needs="an App Runner service running as {role}", source=_DD),
    _t("bedrock-002", "bedrock-agentcore:StartCodeInterpreterSession + bedrock-agentcore:InvokeCodeInterpreter",
       EXISTING, "bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter",
       services=("bedrock-agentcore.amazonaws.com",), needs="a Bedrock AgentCore code interpreter running as {role}",
       source="Nigel Sood, Sonrai Security"),
)

BY_ID = {t.id: t for t in CATALOGUE}
