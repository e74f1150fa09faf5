#!/usr/bin/python3
"""Validates deploy/kubernetes offline: renders each kustomization with
`kubectl kustomize` (no cluster needed) and checks the rendered objects'
required fields and cross-references. With --kcensus BIN, also checks that
every long option the manifests and systemd units pass to `kcensus scan`
exists in `kcensus scan --help`."""
import argparse
import re
import subprocess
import sys

import yaml

errors = []


def err(msg):
    errors.append(msg)


def render(path):
    out = subprocess.run(["kubectl", "kustomize", path], check=True,
                         capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def need(obj, dotted):
    cur = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            err(f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}: "
                f"missing {dotted}")
            return None
        cur = cur[part]
    return cur


def check_pod_spec(owner, spec, names, completions):
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    if spec.get("restartPolicy") not in ("Never", "OnFailure"):
        err(f"{owner}: Job pods need restartPolicy Never/OnFailure")
    for v in vols.values():
        if "persistentVolumeClaim" in v:
            claim = v["persistentVolumeClaim"]["claimName"]
            if ("PersistentVolumeClaim", claim) not in names:
                err(f"{owner}: PVC {claim} not rendered")
        if "configMap" in v:
            cm = v["configMap"]["name"]
            if ("ConfigMap", cm) not in names:
                err(f"{owner}: ConfigMap {cm} not rendered")
    containers = spec.get("containers") or []
    if not containers:
        err(f"{owner}: no containers")
    for c in containers:
        for f in ("name", "image"):
            if f not in c:
                err(f"{owner}: container missing {f}")
        res = c.get("resources", {})
        for k in ("requests", "limits"):
            if not res.get(k, {}).get("cpu") or not res.get(k, {}).get("memory"):
                err(f"{owner}: container {c.get('name')} lacks {k} cpu/memory")
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                err(f"{owner}: mount {m['name']} has no volume")
        cmd = " ".join(c.get("command", []) + c.get("args", []))
        want = "${JOB_COMPLETION_INDEX}/%d" % completions
        if want not in cmd:
            err(f"{owner}: shard must be {want} (completions {completions})")
        yield cmd


def check(path):
    docs = render(path)
    names = set()
    for d in docs:
        for f in ("apiVersion", "kind", "metadata.name"):
            need(d, f)
        names.add((d.get("kind"), d.get("metadata", {}).get("name")))
        if d.get("kind") != "Namespace" and \
                d.get("metadata", {}).get("namespace") != "kcensus":
            err(f"{path}: {d.get('kind')} not in namespace kcensus")
    cmds = []
    for d in docs:
        owner = f"{path}:{d['kind']}/{d['metadata']['name']}"
        if d["kind"] == "Job":
            spec = d["spec"]
        elif d["kind"] == "CronJob":
            if len(str(need(d, "spec.schedule")).split()) != 5:
                err(f"{owner}: schedule is not 5 cron fields")
            if d["spec"].get("concurrencyPolicy") != "Forbid":
                err(f"{owner}: concurrencyPolicy must be Forbid (no overlap)")
            spec = d["spec"]["jobTemplate"]["spec"]
        else:
            continue
        if spec.get("completionMode") != "Indexed":
            err(f"{owner}: completionMode must be Indexed")
        n = spec.get("completions")
        if not isinstance(n, int) or n < 1 or spec.get("parallelism", 0) > n:
            err(f"{owner}: bad completions/parallelism")
            continue
        cmds += list(check_pod_spec(owner, spec["template"]["spec"], names, n))
    return cmds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--kcensus")
    a = ap.parse_args()
    cmds = []
    for k in ("job", "cronjob"):
        cmds += check(f"{a.root}/deploy/kubernetes/{k}")
    with open(f"{a.root}/deploy/systemd/kcensus.service") as f:
        cmds += [l for l in f.read().replace("\\\n", " ").splitlines()
                 if "kcensus scan" in l]
    if not any("kcensus scan" in c for c in cmds):
        err("no kcensus scan command found in the manifests")
    if a.kcensus:
        helptext = subprocess.run([a.kcensus, "scan", "--help"],
                                  capture_output=True, text=True).stdout
        known = set(re.findall(r"--([a-z][a-z0-9-]*)", helptext))
        for c in cmds:
            for opt in re.findall(r"\s--([a-z][a-z0-9-]*)", c):
                if opt not in known:
                    err(f"option --{opt} used in deploy/ is unknown to "
                        f"'kcensus scan'")
    for e in errors:
        print("FAIL:", e)
    print(f"deploy manifests: {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
