#!/usr/bin/env python3
"""A small renderer of the kustomize features deploy/kubernetes uses (渲染 kustomize 清单), for
machines without kubectl: resources (files and directories), components, namespace, labels
(pairs, without selectors), replicas, images, and patches (a strategic-merge patch file matched
by kind and name, or a JSON 6902 patch list applied to the resources a target selects by kind
and labelSelector). tools/check-deploy compares its output with `kubectl kustomize` when both
exist. Usage: kustomize_lite.py DIR  (prints the multi-document YAML)."""
import copy
import os
import sys

import yaml

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def merge(base, patch):
    """Strategic merge, enough for our patches: maps merge, lists of named maps merge by name,
    other lists and scalars are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if (isinstance(base, list) and isinstance(patch, list) and patch
            and all(isinstance(x, dict) and "name" in x for x in base + patch)):
        out = [copy.deepcopy(x) for x in base]
        for p in patch:
            for i, b in enumerate(out):
                if b["name"] == p["name"]:
                    out[i] = merge(b, p)
                    break
            else:
                out.append(copy.deepcopy(p))
        return out
    return copy.deepcopy(patch)


def json_patch(doc, ops):
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        if isinstance(parent, list):
            idx = len(parent) if last == "-" else int(last)
            if op["op"] == "add":
                parent.insert(idx, copy.deepcopy(op["value"]))
            elif op["op"] == "replace":
                parent[idx] = copy.deepcopy(op["value"])
            elif op["op"] == "remove":
                del parent[idx]
            else:
                raise SystemExit(f"unsupported JSON patch op {op['op']}")
        else:
            if op["op"] in ("add", "replace"):
                parent[last] = copy.deepcopy(op["value"])
            elif op["op"] == "remove":
                del parent[last]
            else:
                raise SystemExit(f"unsupported JSON patch op {op['op']}")


def selects(target, doc):
    if "kind" in target and doc.get("kind") != target["kind"]:
        return False
    if "name" in target and doc["metadata"].get("name") != target["name"]:
        return False
    for sel in filter(None, (target.get("labelSelector") or "").split(",")):
        k, v = sel.split("=", 1)
        if doc["metadata"].get("labels", {}).get(k) != v:
            return False
    return True


def set_labels(doc, pairs, templates):
    doc.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
    tmpl = doc.get("spec", {}).get("template") if templates and doc.get("kind") in (
        "Deployment", "StatefulSet", "DaemonSet", "Job") else None
    if tmpl is not None:
        tmpl.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def build(directory):
    kfile = os.path.join(directory, "kustomization.yaml")
    with open(kfile, encoding="utf-8") as f:
        k = yaml.safe_load(f)
    docs = []
    for r in k.get("resources", []):
        p = os.path.normpath(os.path.join(directory, r))
        docs.extend(build(p) if os.path.isdir(p) else load_docs(p))
    for c in k.get("components", []):
        comp_dir = os.path.normpath(os.path.join(directory, c))
        docs = apply(comp_dir, docs)
    return apply(directory, docs, k)


def apply(directory, docs, k=None):
    if k is None:
        with open(os.path.join(directory, "kustomization.yaml"), encoding="utf-8") as f:
            k = yaml.safe_load(f)
        for r in k.get("resources", []):
            docs.extend(load_docs(os.path.normpath(os.path.join(directory, r))))
    for label in k.get("labels", []):
        if label.get("includeSelectors"):
            raise SystemExit("labels with includeSelectors are not supported")
        for d in docs:
            set_labels(d, label["pairs"], label.get("includeTemplates", False))
    for patch in k.get("patches", []):
        body = load_docs(os.path.join(directory, patch["path"]))[0]
        if isinstance(body, list):
            hits = [d for d in docs if selects(patch.get("target", {}), d)]
            if not hits:
                raise SystemExit(f"patch {patch['path']} selects nothing")
            for d in hits:
                json_patch(d, body)
        else:
            target = {"kind": body["kind"], "name": body["metadata"]["name"]}
            for i, d in enumerate(docs):
                if selects(target, d):
                    docs[i] = merge(d, body)
                    break
            else:
                raise SystemExit(f"patch {patch['path']} matches no resource")
    for r in k.get("replicas", []):
        for d in docs:
            if d["metadata"]["name"] == r["name"] and "replicas" in d.get("spec", {}):
                d["spec"]["replicas"] = r["count"]
    for img in k.get("images", []):
        for d in docs:
            for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                name, _, _tag = c["image"].partition(":")
                if name == img["name"]:
                    c["image"] = f"{img.get('newName', name)}:{img.get('newTag', _tag or 'latest')}"
    if "namespace" in k:
        for d in docs:
            if d["kind"] not in CLUSTER_SCOPED:
                d["metadata"]["namespace"] = k["namespace"]
    return docs


def main():
    docs = build(sys.argv[1])
    yaml.safe_dump_all(docs, sys.stdout, allow_unicode=True, sort_keys=True)


if __name__ == "__main__":
    main()
