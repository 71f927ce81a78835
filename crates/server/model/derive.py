#!/usr/bin/env python3
"""Derives the server's model tables from the Kinesis service model (botocore's service-2.json).

Usage: python3 crates/server/model/derive.py [BOTOCORE_VERSION]

Downloads the botocore wheel from PyPI (the newest, or the version given), takes
`botocore/data/kinesis/2013-12-02/service-2.json`, and writes
- crates/server/model/kinesis-2013-12-02.json: the model without its documentation text, and
- crates/server/src/model.rs: every operation and the shape of its input, as Rust tables.
A model update is this one command; `cargo test -p shardlog-server model` then names every
operation table that no longer matches.
"""
import gzip
import io
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent
MODEL_PATH = "botocore/data/kinesis/2013-12-02/service-2.json"


def fetch(version):
    spec = f"botocore=={version}" if version else "botocore"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, spec],
            check=True,
        )
        wheel = next(pathlib.Path(tmp).glob("botocore-*.whl"))
        found_version = wheel.name.split("-")[1]
        with zipfile.ZipFile(wheel) as z:
            names = z.namelist()
            if MODEL_PATH in names:
                raw = z.read(MODEL_PATH)
            else:
                raw = gzip.decompress(z.read(MODEL_PATH + ".gz"))
    return found_version, json.loads(raw)


def strip_docs(v):
    if isinstance(v, dict):
        return {k: strip_docs(x) for k, x in v.items() if k != "documentation"}
    if isinstance(v, list):
        return [strip_docs(x) for x in v]
    return v


def rust_str(s):
    return json.dumps(s)


class Emitter:
    """Writes each shape once as a `const`, members in model order."""

    def __init__(self, shapes):
        self.shapes = shapes
        self.done = {}
        self.out = []

    def const(self, name):
        return "S_" + "".join("_" + c if c.isupper() else c.upper() for c in name).lstrip("_")

    def shape(self, name, stack=()):
        if name in self.done:
            return self.done[name]
        c = self.const(name)
        if name in stack:  # recursive shapes (none in Kinesis inputs today)
            return c
        s = self.shapes[name]
        t = s["type"]
        opt = lambda k: f"Some({s[k]})" if k in s else "None"
        if t == "structure":
            members = []
            for m, ref in s.get("members", {}).items():
                inner = self.shape(ref["shape"], stack + (name,))
                req = "true" if m in s.get("required", []) else "false"
                members.append(f"ModelMember {{ name: {rust_str(m)}, required: {req}, shape: &{inner} }}")
            body = "ModelShape::Structure(&[" + ", ".join(members) + "])"
        elif t == "list":
            inner = self.shape(s["member"]["shape"], stack + (name,))
            body = f"ModelShape::List {{ min: {opt('min')}, max: {opt('max')}, member: &{inner} }}"
        elif t == "map":
            k = self.shape(s["key"]["shape"], stack + (name,))
            v = self.shape(s["value"]["shape"], stack + (name,))
            body = f"ModelShape::Map {{ min: {opt('min')}, max: {opt('max')}, key: &{k}, value: &{v} }}"
        elif t == "string" and "enum" in s:
            body = "ModelShape::Enum(&[" + ", ".join(rust_str(e) for e in s["enum"]) + "])"
        elif t == "string":
            pattern = f"Some({rust_str(s['pattern'])})" if "pattern" in s else "None"
            body = f"ModelShape::String {{ min: {opt('min')}, max: {opt('max')}, pattern: {pattern} }}"
        elif t in ("integer", "long"):
            body = f"ModelShape::Integer {{ min: {opt('min')}, max: {opt('max')} }}"
        elif t == "blob":
            body = f"ModelShape::Blob {{ max: {opt('max')} }}"
        elif t == "boolean":
            body = "ModelShape::Boolean"
        elif t == "timestamp":
            body = "ModelShape::Timestamp"
        else:
            raise SystemExit(f"shape {name}: type {t} is new to this script")
        self.out.append(f"const {c}: ModelShape = {body};")
        self.done[name] = c
        return c


def main():
    version, model = fetch(sys.argv[1] if len(sys.argv) > 1 else None)
    model = strip_docs(model)
    (ROOT / "kinesis-2013-12-02.json").write_text(json.dumps(model, indent=1, sort_keys=True) + "\n")
    e = Emitter(model["shapes"])
    ops = []
    for name in sorted(model["operations"]):
        op = model["operations"][name]
        inp = e.shape(op["input"]["shape"]) if "input" in op else None
        ops.append(f"    ModelOperation {{ name: {rust_str(name)}, input: {('Some(&' + inp + ')') if inp else 'None'} }},")
    rs = [
        "//! The Kinesis service model's operations and input shapes, derived by",
        "//! `crates/server/model/derive.py` from botocore " + version + " (`service-2.json`, API 2013-12-02).",
        "//! Do not edit: run the script. Tests hold every operation table of the server to it.",
        "#![allow(dead_code)]",
        "",
        "/// A shape of the model: what a request member may hold.",
        "#[derive(Debug)]",
        "pub(crate) enum ModelShape {",
        "    Structure(&'static [ModelMember]),",
        "    List { min: Option<i64>, max: Option<i64>, member: &'static ModelShape },",
        "    Map { min: Option<i64>, max: Option<i64>, key: &'static ModelShape, value: &'static ModelShape },",
        "    Enum(&'static [&'static str]),",
        "    String { min: Option<i64>, max: Option<i64>, pattern: Option<&'static str> },",
        "    Integer { min: Option<i64>, max: Option<i64> },",
        "    Blob { max: Option<i64> },",
        "    Boolean,",
        "    Timestamp,",
        "}",
        "",
        "/// A member of a structure, in the model's order.",
        "#[derive(Debug)]",
        "pub(crate) struct ModelMember {",
        "    pub name: &'static str,",
        "    pub required: bool,",
        "    pub shape: &'static ModelShape,",
        "}",
        "",
        "/// An operation and its input shape.",
        "#[derive(Debug)]",
        "pub(crate) struct ModelOperation {",
        "    pub name: &'static str,",
        "    pub input: Option<&'static ModelShape>,",
        "}",
        "",
        f"/// The botocore release the tables come from.",
        f"pub(crate) const BOTOCORE_VERSION: &str = {rust_str(version)};",
        "",
        "/// Every operation of the model, by name.",
        "pub(crate) const OPERATIONS: &[ModelOperation] = &[",
        *ops,
        "];",
        "",
        *e.out,
        "",
    ]
    (ROOT.parent / "src" / "model.rs").write_text("\n".join(rs))
    print(f"botocore {version}: {len(ops)} operations, {len(e.out)} input shapes")


if __name__ == "__main__":
    main()
