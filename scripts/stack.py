"""Deploys template.yaml to the local stack (sam build + sam deploy) and records its outputs.

Used by the Makefile; skips build and deploy when nothing that goes into the stack changed since the last deploy
and the stack is still there (LocalStack keeps no state across restarts).

``deploy --hot`` (``make dev``) deploys the functions and the shared ``buynest`` layer as LocalStack hot-reload
code: their code is the working tree's directories (``functions/<service>/``, ``layers/buynest/``), which the
host executor restarts an environment for when a file under them changed, so an edit is live on the next
invocation without a deploy. Directories with a ``requirements.txt`` (the deps and imaging layers) are still
built by ``sam build``. ``deploy`` without ``--hot`` goes back to the built artifacts, as on AWS."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.cfn_template import template

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", ROOT / ".local"))
STACK = os.environ.get("STACK_NAME", "buynest")
PORT = os.environ.get("LOCALSTACK_PORT", "4566")
ENDPOINT = f"http://127.0.0.1:{PORT}"
REGION = "us-east-1"
SAMCONFIG = ["--config-file", str(ROOT / "samconfig.toml"), "--config-env", "local"]  # the local stack's flags
INPUTS = ["template.yaml", "samconfig.toml", "functions", "layers", "infra"]
HOT_RELOAD_BUCKET = "hot-reload"  # LocalStack's marker bucket: the key is a directory of the host


def local_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=ENDPOINT,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        SAM_CLI_TELEMETRY="0",
        PATH=f"{LOCAL / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def hot_sources() -> dict[str, Path]:
    """Logical id -> source directory of every function and layer that runs from its directory as it is."""
    found = {}
    for name, resource in template()["Resources"].items():
        properties = resource.get("Properties", {})
        uri = properties.get("CodeUri") or properties.get("ContentUri")
        if isinstance(uri, str) and not (ROOT / uri / "requirements.txt").exists():
            found[name] = (ROOT / uri).resolve()
    return found


def hot_template(build_dir: Path) -> Path:
    """The built template with every hot source's code taken from its working-tree directory instead."""
    sources = hot_sources()

    def point(match: re.Match[str]) -> str:
        indent, key, name = match.groups()
        if name not in sources:
            return match.group(0)
        return f"{indent}{key}:\n{indent}  Bucket: {HOT_RELOAD_BUCKET}\n{indent}  Key: {sources[name]}"

    text = (build_dir / "template.yaml").read_text()
    hot = build_dir / "template-hot.yaml"
    hot.write_text(re.sub(r"(?m)^( +)(CodeUri|ContentUri): (\w+)$", point, text))
    return hot


def source_hash(hot: bool = False) -> str:
    digest = hashlib.sha256(f"hot={hot}".encode())
    skipped = set(hot_sources().values()) if hot else set()
    for name in INPUTS:
        base = ROOT / name
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            if "__pycache__" in path.parts or path.suffix == ".pyc" or skipped.intersection(path.resolve().parents):
                continue
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cfn():
    return boto3.client(
        "cloudformation",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def stack_outputs() -> dict[str, str] | None:
    try:
        stacks = cfn().describe_stacks(StackName=STACK)["Stacks"]
    except Exception:
        return None
    if not stacks or not stacks[0]["StackStatus"].endswith("_COMPLETE") or "ROLLBACK" in stacks[0]["StackStatus"]:
        return None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def write_outputs(outputs: dict[str, str]) -> dict[str, str]:
    result = dict(outputs)
    result["AwsApiUrl"] = outputs.get("ApiUrl", "")
    result["ApiUrl"] = f"{ENDPOINT}/_aws/execute-api/{outputs['ApiId']}/v1"
    result["StorefrontUrl"] = f"{ENDPOINT}/{outputs['StorefrontBucketName']}/index.html"
    result["Endpoint"] = ENDPOINT
    result["Region"] = REGION
    (LOCAL / "outputs.json").write_text(json.dumps(result, indent=2) + "\n")
    verify_mail_sender(outputs.get("MailSender"))
    return result


def upload_storefront(outputs: dict[str, str]) -> None:
    """scripts/storefront.py's upload, loaded by its path: at the repo root ``storefront`` is the site's folder."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("storefront_script", Path(__file__).with_name("storefront.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.upload_local(outputs, ENDPOINT)


def verify_mail_sender(address: str | None) -> None:
    """Make the stack's sender a verified SES identity (what clicking SES's link does on AWS); idempotent."""
    if address:
        ses = boto3.client("ses", endpoint_url=ENDPOINT, region_name=REGION,
                           aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
        ses.verify_email_identity(EmailAddress=address)


def run(step: str, cmd: list[str], fatal: bool = True, cwd: Path = ROOT) -> bool:
    """Run one step with its output in .local/logs/<step>.log; on failure exit (``fatal``) or return False."""
    started = time.monotonic()
    log = LOCAL / "logs" / f"{step}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.run(cmd, cwd=cwd, env=local_env(), stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        if not fatal:
            return False
        sys.stderr.write(log.read_text()[-6000:])
        sys.exit(f"{step} failed (exit {proc.returncode}); full log: {log}")
    print(f"==> {step}: done in {time.monotonic() - started:.1f}s", flush=True)
    return True


def precompile(build_dir: Path) -> None:
    """Ships bytecode: compiles every module of the built functions and layers to ``checked-hash`` .pyc files.

    ``sam build`` leaves bytecode out of its artifacts, and on AWS the code (``/var/task``, ``/opt``) is read-only,
    so without this every cold start would compile every module it imports from source (~0.5 s of CPU for an
    API function here), every time. ``checked-hash`` pycs stay valid after the zip round trip, which does not keep
    file times, and can never be stale: the interpreter checks them against the source's hash, not its mtime.
    The bytecode must come from the runtime's Python minor version (python3.13, as in template.yaml)."""
    import compileall
    import py_compile

    if sys.version_info[:2] != (3, 13):
        print(f"==> precompile: skipped, Python {sys.version_info[0]}.{sys.version_info[1]} is not the runtime's 3.13")
        return
    started = time.monotonic()
    # quiet=2: vendored files that are not Python 3 (templates, test data) are left as they are
    compileall.compile_dir(
        str(build_dir), quiet=2, workers=0, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
    )
    print(f"==> precompile: done in {time.monotonic() - started:.1f}s", flush=True)


def stack_status() -> str | None:
    try:
        return str(cfn().describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"])
    except Exception:
        return None


def recreate(why: str) -> None:
    """Start over from an empty LocalStack (it keeps no state anyway): deleting a half-updated stack there is
    unreliable, a restart is not."""
    print(f"==> deploy: {why}; restarting LocalStack to deploy from scratch (local data is reset)", flush=True)
    subprocess.run(["make", "--no-print-directory", "ls-stop", "ls-start"], cwd=ROOT, check=True)


def deploy(force: bool, hot: bool) -> None:
    sam = str(LOCAL / "tools-venv" / "bin" / "sam")
    digest = source_hash(hot)
    stamp = LOCAL / "deployed.hash"
    outputs = stack_outputs()
    if not force and outputs and stamp.exists() and stamp.read_text() == digest:
        print("==> deploy: stack is up to date", flush=True)
        upload_storefront(write_outputs(outputs))
        return
    build_dir, cache_dir = LOCAL / "sam-build", LOCAL / "sam-cache"
    run(
        "sam-build",
        [sam, "build", *SAMCONFIG, "--template-file", str(ROOT / "template.yaml"), "--build-dir", str(build_dir),
         "--cache-dir", str(cache_dir)],
        cwd=LOCAL,  # sam build keeps the dependencies of cached builds in ./.aws-sam/deps: under .local with the rest
    )  # fmt: skip
    if hot:
        built = hot_template(build_dir)
        print(f"==> hot reload: {len(hot_sources())} functions and layers run from the working tree", flush=True)
    else:
        precompile(build_dir)
        built = build_dir / "template.yaml"
    deploy_cmd = [
        sam, "deploy", *SAMCONFIG, "--template-file", str(built), "--stack-name", STACK, "--region", REGION,
    ]  # fmt: skip
    status = stack_status()
    if status is not None and outputs is None:
        recreate(f"the stack is in state {status}")
    if not run("sam-deploy", deploy_cmd, fatal=status is None):
        # LocalStack's CloudFormation cannot update an API Gateway stage in place (no update handler for
        # AWS::ApiGateway::Stage), so a change of routes rolls the update back. Locally, recreating is the fix.
        recreate("LocalStack could not update the stack in place")
        run("sam-deploy", deploy_cmd)
    outputs = stack_outputs()
    if outputs is None:
        sys.exit(f"stack {STACK} is not deployed after sam deploy; see {LOCAL / 'logs' / 'sam-deploy.log'}")
    upload_storefront(write_outputs(outputs))
    stamp.write_text(digest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("deploy")
    d.add_argument("--force", action="store_true")
    d.add_argument("--hot", action="store_true", help="functions and the buynest layer run from the working tree")
    sub.add_parser("url")
    sub.add_parser("precompile").add_argument("build_dir", type=Path)
    args = parser.parse_args()
    if args.cmd == "deploy":
        deploy(args.force, args.hot)
    elif args.cmd == "precompile":
        precompile(args.build_dir)
    else:
        path = LOCAL / "outputs.json"
        if not path.exists():
            sys.exit("no stack outputs yet: run `make up`")
        print(json.loads(path.read_text())["ApiUrl"])


if __name__ == "__main__":
    main()
