#!/usr/bin/env python3
"""Checks of tools/check-deploy that no schema validator does (部署清单检查).

  deploy_checks.py manifests OVERLAY RENDERED.yaml   what the platform needs of the manifests
  deploy_checks.py same-documents A.yaml B.yaml       two renderings hold the same documents
  deploy_checks.py metrics                            rules and dashboard use exported metrics only
  deploy_checks.py write-prometheusrule               regenerate base/prometheusrule.yaml
"""
import json
import os
import re
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVICES = ["console", "intake", "mediation", "administrative-review", "supervision", "notification"]
ALERTS = os.path.join(ROOT, "deploy/prometheus/alerts.yml")
RULE = os.path.join(ROOT, "deploy/kubernetes/base/prometheusrule.yaml")
HEADER = ("# The alert rules of deploy/prometheus/alerts.yml for the Prometheus Operator. Generated from\n"
          "# that file: tools/check-deploy fails when the two differ (regenerate with tools/check-deploy --write).\n")

errors = []


def err(msg):
    errors.append(msg)


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def prometheus_rule():
    with open(ALERTS, encoding="utf-8") as f:
        groups = yaml.safe_load(f)["groups"]
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "xinfang", "labels": {"app.kubernetes.io/name": "xinfang"}},
            "spec": {"groups": groups}}


def manifests(overlay, path):
    docs = load(path)
    by = {}
    for d in docs:
        by.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    deployments = by.get("Deployment", {})
    if sorted(deployments) != sorted(SERVICES):
        err(f"Deployments {sorted(deployments)} are not the six services")
    for name, d in deployments.items():
        spec = d["spec"]["template"]["spec"]
        c = spec["containers"][0]
        ready = c.get("readinessProbe", {}).get("httpGet", {}).get("path")
        live = c.get("livenessProbe", {}).get("httpGet", {}).get("path")
        if ready != "/health/ready" or live != "/health/live":
            err(f"{name}: probes must be /health/ready and /health/live (have {ready}, {live})")
        res = c.get("resources", {})
        if not (res.get("requests", {}).get("cpu") and res.get("limits", {}).get("memory")):
            err(f"{name}: resource requests and limits are missing")
        if not spec.get("securityContext", {}).get("runAsNonRoot"):
            err(f"{name}: must run as non-root")
        env = {e["name"]: e for e in c.get("env", [])}
        for var in ("XINFANG_DATABASE__PASSWORD", "XINFANG_BROKER__URL"):
            if "secretKeyRef" not in env.get(var, {}).get("valueFrom", {}):
                err(f"{name}: {var} must come from a Secret")
        if name == "intake" and "secretKeyRef" not in env.get(
                "XINFANG_INTAKE__PII__ENCRYPTION_KEY", {}).get("valueFrom", {}):
            err("intake: the PII key must come from a Secret")
        if name != "console" and "XINFANG_AUTH__JWKS_URL" not in env:
            err(f"{name}: XINFANG_AUTH__JWKS_URL (the console's public keys) is missing")
        if name not in by.get("PodDisruptionBudget", {}):
            err(f"{name}: no PodDisruptionBudget")
        if name not in by.get("Service", {}):
            err(f"{name}: no Service")
        if overlay.startswith("overlays/production") and d["spec"].get("replicas", 1) < 2:
            err(f"{name}: production needs at least 2 replicas")
    rmq = by.get("RabbitmqCluster", {}).get("rabbitmq")
    if not rmq or rmq["apiVersion"] != "rabbitmq.com/v1beta1":
        err("no RabbitmqCluster rabbitmq (rabbitmq.com/v1beta1)")
    else:
        if rmq["spec"].get("replicas") != 3:
            err("RabbitMQ must have 3 nodes")
        conf = rmq["spec"].get("rabbitmq", {}).get("additionalConfig", "")
        for line in ("default_queue_type = quorum", "cluster_partition_handling = pause_minority"):
            if line not in conf:
                err(f"RabbitMQ additionalConfig lacks '{line}'")
    sm = by.get("ServiceMonitor", {}).get("xinfang")
    if not sm or sm["apiVersion"] != "monitoring.coreos.com/v1":
        err("no ServiceMonitor xinfang")
    else:
        sel = sm["spec"]["selector"]["matchLabels"]
        for name, svc in by.get("Service", {}).items():
            if name in SERVICES and any(svc["metadata"].get("labels", {}).get(k) != v for k, v in sel.items()):
                err(f"the ServiceMonitor does not select Service {name}")
        if [e.get("path") for e in sm["spec"]["endpoints"]] != ["/metrics"]:
            err("the ServiceMonitor must scrape /metrics")
    pr = by.get("PrometheusRule", {}).get("xinfang")
    expected = prometheus_rule()
    if not pr or pr["spec"] != expected["spec"]:
        err("PrometheusRule xinfang differs from deploy/prometheus/alerts.yml (tools/check-deploy --write)")
    pg = by.get("Service", {}).get("postgres")
    if not pg or pg["spec"].get("type") != "ExternalName":
        err("Service postgres (ExternalName) is missing")
    if overlay.endswith("cnpg"):
        cl = by.get("Cluster", {}).get("xinfang-pg")
        if not cl or cl["apiVersion"] != "postgresql.cnpg.io/v1" or cl["spec"].get("instances", 0) < 3:
            err("CloudNativePG Cluster xinfang-pg with 3 instances is missing")
        if pg and pg["spec"].get("externalName") != "xinfang-pg-rw":
            err("postgres must point at xinfang-pg-rw")
    for d in docs:
        if d["kind"] not in ("Namespace",) and overlay != "base" and d["metadata"].get("namespace") != "xinfang":
            err(f"{d['kind']} {d['metadata']['name']} is not in namespace xinfang")


def exported_metrics():
    names = set()
    for top in ("shared", "services"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            if "/target" in dirpath:
                continue
            for f in files:
                if f.endswith(".rs"):
                    with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                        names.update(re.findall(r'"(xinfang_[a-z_]+)"', fh.read()))
    return names


def used_metrics(text):
    found = set()
    for m in re.findall(r"\b(xinfang_[a-z_]+)", text):
        found.add(re.sub(r"_(bucket|count|sum)$", "", m) if m.startswith("xinfang_http_") or
                  m.startswith("xinfang_events_batch_size") else m)
    return found


def metrics():
    exported = exported_metrics()
    with open(ALERTS, encoding="utf-8") as f:
        exprs = " ".join(r["expr"] for g in yaml.safe_load(f)["groups"] for r in g["rules"])
    with open(os.path.join(ROOT, "deploy/grafana/xinfang-overview.json"), encoding="utf-8") as f:
        dash = json.load(f)
    exprs += " " + " ".join(t["expr"] for p in dash["panels"] for t in p.get("targets", []))
    unknown = sorted(used_metrics(exprs) - exported)
    if unknown:
        err(f"metrics not exported by any service: {unknown}")
    for need in ("xinfang_dead_letters", "xinfang_outbox_oldest_age_seconds", "xinfang_consumer_lag",
                 "xinfang_deadlines_overdue", "xinfang_events_published_by_key_total",
                 "xinfang_http_request_duration_seconds"):
        if need not in exprs:
            err(f"no rule or panel on {need}")


def same_documents(a, b):
    norm = lambda p: sorted(yaml.safe_dump(d, sort_keys=True) for d in load(p))
    if norm(a) != norm(b):
        err(f"{a} and {b} differ")


def main():
    cmd = sys.argv[1]
    if cmd == "manifests":
        manifests(sys.argv[2], sys.argv[3])
    elif cmd == "same-documents":
        same_documents(sys.argv[2], sys.argv[3])
    elif cmd == "metrics":
        metrics()
    elif cmd == "write-prometheusrule":
        with open(RULE, "w", encoding="utf-8") as f:
            f.write(HEADER)
            yaml.safe_dump(prometheus_rule(), f, allow_unicode=True, sort_keys=False, width=100)
    else:
        raise SystemExit(__doc__)
    for e in errors:
        print(f"  {e}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
