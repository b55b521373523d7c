"""Shell completion through the real protocol: the scripts in completions/ run `iamctl` with
`_IAMCTL_COMPLETE=complete_<shell>` and the words typed so far, and print the candidates.

Each test runs iamctl in a subprocess exactly as the installed scripts do (bash passes
COMP_WORDS/COMP_CWORD, zsh and fish pass _TYPER_COMPLETE_ARGS).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iamctl.core.identities import users
from iamctl.core.store.directory import Store


def complete(shell: str, line: str, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Ask iamctl for the candidates after `line` (the text left of the cursor) in `shell`."""
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMCTL_", "_TYPER", "COMP_"))}
    run_env.update(env or {})
    run_env["_IAMCTL_COMPLETE"] = f"complete_{shell}"
    if shell == "bash":
        words = line.split(" ")  # a trailing space gives an empty word: the one being completed
        run_env.update(COMP_WORDS=" ".join(words), COMP_CWORD=str(len(words) - 1))
    else:
        run_env["_TYPER_COMPLETE_ARGS"] = line
        run_env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    return subprocess.run([sys.executable, "-m", "iamctl"], env=run_env, capture_output=True, text=True,
                          timeout=60)


def offered(shell: str, line: str, **kw) -> list[str]:
    done = complete(shell, line, **kw)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return [ln for ln in done.stdout.splitlines() if ln]  # bash's protocol prints "\n" for none


@pytest.fixture
def acct(tmp_path: Path) -> Path:
    """An account holding the users alice, albert and bob."""
    path = tmp_path / "acct"
    with Store(path).write() as txn:
        for name in ("alice", "albert", "bob"):
            users.create_user(txn, name)
    return path


def test_bash_offers_every_user_name_starting_with_the_typed_prefix(acct):
    assert offered("bash", "iamctl user show al", env={"IAMCTL_DIR": str(acct)}) == ["albert", "alice"]


def test_bash_offers_all_users_for_an_empty_word(acct):
    assert offered("bash", "iamctl user show ", env={"IAMCTL_DIR": str(acct)}) == ["albert", "alice", "bob"]


def test_zsh_protocol_offers_user_names(acct):
    out = complete("zsh", "iamctl user show al", env={"IAMCTL_DIR": str(acct)}).stdout
    assert out.startswith("_arguments")
    assert '"alice"' in out and '"albert"' in out and '"bob"' not in out


def test_fish_protocol_offers_user_names(acct):
    assert offered("fish", "iamctl user list-tags b", env={"IAMCTL_DIR": str(acct)}) == ["bob"]


def test_dir_on_the_command_line_wins_over_the_environment(acct, tmp_path):
    """Completion reads the account the command would act on: --dir before IAMCTL_DIR."""
    env = {"IAMCTL_DIR": str(tmp_path / "elsewhere")}
    assert offered("bash", f"iamctl --dir {acct} user show b", env=env) == ["bob"]


def test_completing_against_a_missing_directory_creates_nothing(tmp_path):
    empty = tmp_path / "nothing-here"
    assert offered("bash", "iamctl user show al", env={"IAMCTL_DIR": str(empty)}) == []
    assert not empty.exists()


def test_completing_against_an_empty_directory_writes_nothing_into_it(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert offered("zsh", "iamctl group show ", env={"IAMCTL_DIR": str(empty)}) == ["_files"]
    assert list(empty.iterdir()) == []


def test_completion_takes_no_lock_and_leaves_the_directory_as_it_was(acct):
    """A directory fresh from git has no .iamctl/ (it is ignored); completing must not add one."""
    import shutil

    shutil.rmtree(acct / ".iamctl")
    before = sorted(p.relative_to(acct) for p in acct.rglob("*"))
    offered("bash", "iamctl user show a", env={"IAMCTL_DIR": str(acct)})
    assert sorted(p.relative_to(acct) for p in acct.rglob("*")) == before


def test_names_keep_their_spelling_and_match_without_regard_to_case(tmp_path):
    """IAM names are unique without regard to case: `al` finds `Albert`; the offer keeps the
    typed prefix so the shell accepts it, and names the same user."""
    path = tmp_path / "acct"
    with Store(path).write() as txn:
        users.create_user(txn, "Albert")
    env = {"IAMCTL_DIR": str(path)}
    assert offered("bash", "iamctl user show A", env=env) == ["Albert"]
    assert offered("bash", "iamctl user show al", env=env) == ["albert"]


def test_a_damaged_directory_completes_to_nothing_without_a_traceback(acct):
    (acct / "iamctl.toml").write_text("schema_version = 999\n")
    assert offered("bash", "iamctl user show al", env={"IAMCTL_DIR": str(acct)}) == []


def test_groups_policies_and_accounts_complete(acct):
    from iamctl.core.identities import groups, policies

    with Store(acct).write() as txn:
        groups.create_group(txn, "developers")
        policies.create_policy(txn, "ReadBuckets", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                               '"Action": "s3:GetObject", "Resource": "*"}]}')
        account_id = txn.account_id
    env = {"IAMCTL_DIR": str(acct)}
    assert offered("bash", "iamctl group add-user dev", env=env) == ["developers"]
    assert offered("bash", "iamctl group add-user developers b", env=env) == ["bob"]
    assert offered("bash", "iamctl policy show R", env=env) == ["ReadBuckets"]
    assert offered("bash", "iamctl simulate principal --action s3:GetObject --user alb", env=env) == ["albert"]
    assert offered("bash", "iamctl --account ", env=env) == [account_id]


def test_attach_policy_offers_customer_and_aws_managed_arns(acct):
    """zsh and fish pass the whole word; bash splits words at ':' (COMP_WORDBREAKS)."""
    out = offered("fish", "iamctl user attach-policy alice arn:aws:iam::aws:policy/AdministratorA",
                  env={"IAMCTL_DIR": str(acct)})
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in out
    assert all(arn.startswith("arn:aws:iam::aws:policy/AdministratorA") for arn in out)


def test_commands_and_options_still_complete(acct):
    env = {"IAMCTL_DIR": str(acct)}
    assert "user" in offered("bash", "iamctl us", env=env)
    assert "--path-prefix" in offered("bash", "iamctl user list --path", env=env)


ZSH_SESSION = r"""
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; fpath=(%(fpath)s $fpath); autoload -Uz compinit; compinit -u -D'
zpty -w -n z $'iamctl user show al\t'
out=""
for i in {1..150}; do
  zpty -r -t z chunk && out+=$chunk
  [[ $out == *albert* && $out == *alice* ]] && break
  sleep 0.1
done
zpty -d z
print -r -- $out
"""


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
def test_zsh_completes_on_the_first_tab_when_autoloaded_from_fpath(acct, tmp_path):
    """The committed zsh script, installed as _iamctl on $fpath, answers the very first TAB."""
    fpath = tmp_path / "zfunc"
    fpath.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "completions" / "iamctl.zsh", fpath / "_iamctl")
    bin_dir = Path(sys.executable).parent  # where the `iamctl` console script is installed
    env = {**os.environ, "IAMCTL_DIR": str(acct), "PATH": f"{bin_dir}:{os.environ['PATH']}", "TERM": "dumb"}
    done = subprocess.run(["zsh", "-f", "-c", ZSH_SESSION % {"fpath": fpath}], env=env, capture_output=True,
                          text=True, timeout=60)
    assert "albert" in done.stdout and "alice" in done.stdout, done.stdout[-500:]


def test_mfa_devices_complete_by_name_and_never_show_their_seed(acct):
    from iamctl.core.credentials import mfa

    seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with Store(acct).write() as txn:
        mfa.create_virtual_mfa_device(txn, "alice-phone", seed=seed)
    env = {"IAMCTL_DIR": str(acct)}
    for line in ("iamctl mfa deactivate --serial al", "iamctl login alice --mfa-serial "):
        done = complete("bash", line, env=env)
        assert done.stdout.split() == ["alice-phone"]
        assert seed not in done.stdout + done.stderr
    assert offered("bash", "iamctl mfa list --user b", env=env) == ["bob"]


def test_install_completion_still_installs_typers_script(tmp_path):
    """`iamctl --install-completion bash` writes the script completions/iamctl.bash holds."""
    env = {**os.environ, "HOME": str(tmp_path), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    done = subprocess.run([sys.executable, "-m", "iamctl", "--install-completion", "bash"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    installed = (tmp_path / ".bash_completions" / "iamctl.sh").read_text().splitlines()
    committed = (Path(__file__).resolve().parents[2] / "completions" / "iamctl.bash").read_text().splitlines()
    assert installed == [ln for ln in committed if "generated by" not in ln]
    assert "iamctl.sh" in (tmp_path / ".bashrc").read_text()


def test_names_inside_an_entity_complete_from_its_file(acct):
    """Inline policy names, access key ids and policy versions of the entity named before."""
    from iamctl.core.credentials import access_keys
    from iamctl.core.identities import policies

    doc = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    with Store(acct).write() as txn:
        policies.put_inline_policy(txn, "user", "alice", "ReadLogs", doc)
        key = access_keys.create_access_key(txn, "alice")
        policies.create_policy(txn, "Buckets", doc)
        policies.create_version(txn, "Buckets", doc)
    key_id = key.key.access_key_id
    env = {"IAMCTL_DIR": str(acct)}
    assert offered("bash", "iamctl user get-policy alice R", env=env) == ["ReadLogs"]
    assert offered("bash", "iamctl user get-policy bob ", env=env) == []
    done = complete("bash", "iamctl user delete-access-key alice AK", env=env)
    assert done.stdout.split() == [key_id]
    assert key.secret_access_key not in done.stdout
    assert offered("bash", "iamctl policy get-version Buckets ", env=env) == ["v1", "v2"]


def test_account_on_the_command_line_selects_whose_names_complete(acct):
    """A directory can hold several accounts; --account (or IAMCTL_ACCOUNT) picks the one."""
    store = Store(acct)
    other, _ = store.init("444455556666")
    with Store(acct, account=other).write() as txn:
        users.create_user(txn, "carol")
    assert offered("bash", f"iamctl --account {other} user show ", env={"IAMCTL_DIR": str(acct)}) == ["carol"]
    assert offered("bash", "iamctl user show c", env={"IAMCTL_DIR": str(acct), "IAMCTL_ACCOUNT": other}) == ["carol"]
    assert offered("bash", "iamctl user show c", env={"IAMCTL_DIR": str(acct)}) == []


def test_quota_names_complete_for_set_quota(acct):
    assert offered("bash", "iamctl account set-quota groups", env={"IAMCTL_DIR": str(acct)}) == [
        "groups", "groups-per-user"]
