#!/usr/bin/env python3
"""Derives the server's model tables from the Kinesis service model (botocore's service-2.json).

Usage: python3 crates/server/model/derive.py [BOTOCORE_VERSION | --checked-in]

Downloads the botocore wheel from PyPI (the newest, or the version given), takes
`botocore/data/kinesis/2013-12-02/service-2.json`, and writes
- crates/server/model/kinesis-2013-12-02.json: the model without its documentation text, and
- crates/server/src/model.rs: every operation and the shape of its input, as Rust tables, and
- crates/server/src/shapes.rs: the typed request and response structures of the stream operations
  (channels excepted), with serde field names and bounds, and the model's constraints as
  `Valid` implementations.
`--checked-in` regenerates the Rust files from the checked-in model without downloading.
A model update is this one command; `cargo test -p shardlog-server model` then names every
operation table that no longer matches.
"""
import gzip
import io
import json
import pathlib
import re
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


# Typed shapes ------------------------------------------------------------------------------------

# Every operation has its types (channels since issue 21).
def served(name):
    return True


# The model's patterns, each matched by a hand-written function in `crate::validate` (full-string
# matches, as Java's `String.matches`). A new pattern stops the script until it has one.
PATTERNS = {
    "[a-zA-Z0-9_.-]+": "validate::is_name",
    "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+": "validate::is_stream_arn",
    "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+": "validate::is_consumer_arn",
    "[a-z0-9]{20}-[a-z0-9]{3}": "validate::is_stream_id",
    "^(0|([1-9]\\d{0,38}))$": "validate::is_hash_key",
    "^(0|([1-9]\\d{0,128}))$": "validate::is_sequence_number",
    "arn:aws.*:kinesis:.*:\\d{12}:.*(stream|channel|queue)/\\S+": "validate::is_resource_arn",
    "arn:aws.*:kinesis:.*:\\d{12}:queue/\\S+": "validate::is_queue_arn",
    "arn:aws.*:kinesis:.*:\\d{12}:channel/\\S+": "validate::is_channel_arn",
    "arn:aws[-a-z0-9]*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+": "validate::is_role_arn",
    "arn:aws[-a-z0-9]*:s3:::[a-z0-9._-]{3,63}": "validate::is_bucket_arn",
    "arn:aws[-a-z0-9]*:s3tables:[-a-z0-9]+:\\d{12}:bucket/[a-z0-9_-]{3,63}": "validate::is_table_bucket_arn",
    "arn:aws[-a-z0-9]*:glue:[-a-z0-9]+:\\d{12}:schema/[-a-zA-Z0-9_$#.]+/[-a-zA-Z0-9_$#.]+": "validate::is_gsr_schema_arn",
    "\\d{12}": "validate::is_account",
    "[0-9A-Za-z!\\-_'.*()\\/]+": "validate::is_error_prefix",
    "[0-9A-Za-z!\\-_'.*()\\/=:{}]+": "validate::is_key_template",
    "[0-9a-z_]+": "validate::is_lower_name",
    "[a-zA-Z0-9\\.\\_]+": "validate::is_partition_source",
    "[\\.\\-_/#A-Za-z0-9]+": "validate::is_log_group",
    "[^:*]*": "validate::is_log_stream",
}

# Members the model requires that AWS nevertheless leaves out, with why.
OPTIONAL_ANYWAY = {
    # null in the last event of a closed shard (the one with ChildShards), as Kinesis sends it.
    ("SubscribeToShardEvent", "ContinuationSequenceNumber"),
}

# Members of the answers built from read records, typed so that writing them copies nothing: the
# key shares the record's bytes, and the number is formatted on the stack as it is written.
MEMBER_TYPES = {
    ("Record", "SequenceNumber"): "wire::Seq",
    ("Record", "PartitionKey"): "wire::Text",
}

# Lists without a maximum in the model are still bounded while decoding.
UNBOUNDED_LIST = 10_000
RUST_KEYWORDS = {"type", "match", "ref", "in", "mod", "move", "self", "static", "struct", "use"}


def snake(name):
    name = name.replace("KiB", "Kib").replace("MiB", "Mib")
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()
    return f"r#{s}" if s in RUST_KEYWORDS else s


class Types:
    """Writes each structure reachable from the served operations once, members in model order."""

    def __init__(self, shapes):
        self.shapes = shapes
        self.structs = []
        self.sized = []
        self.seen = set()
        self.checked = set()

    def rust_type(self, name):
        s = self.shapes[name]
        t = s["type"]
        if t == "structure":
            self.struct(name)
            return name
        if t == "string":
            return "String"
        if t in ("integer", "long"):
            return "i64"
        if t == "boolean":
            return "bool"
        if t == "blob":
            return "Blob"
        if t == "timestamp":
            return "Timestamp"
        if t == "list":
            return f"Vec<{self.rust_type(s['member']['shape'])}>"
        if t == "map":
            k = self.rust_type(s["key"]["shape"])
            v = self.rust_type(s["value"]["shape"])
            return f"BTreeMap<{k}, {v}>"
        raise SystemExit(f"shape {name}: type {t} is new to this script")

    def decoder(self, name, optional):
        """The `deserialize_with` function of a member, if its type needs one."""
        s = self.shapes[name]
        prefix = "wire::opt_" if optional else "wire::"
        if s["type"] in ("integer", "long"):
            return prefix + "int"
        if s["type"] == "list":
            return f"{prefix}list::<_, _, {s.get('max', UNBOUNDED_LIST)}>"
        if s["type"] == "map":
            return f"{prefix}map::<_, _, {s.get('max', UNBOUNDED_LIST)}>"
        return None

    def check(self, name, v):
        """A Rust expression that is true when `v` (a reference) meets the shape's constraints,
        or None when it has none."""
        s = self.shapes[name]
        t = s["type"]
        if t == "structure":
            self.checked.add(name)
            return f"{v}.valid()"
        if t == "string" and "enum" in s:
            values = ", ".join(rust_str(e) for e in s["enum"])
            return f"wire::one_of({v}, &[{values}])"
        if t == "string":
            if "pattern" in s and s["pattern"] not in PATTERNS:
                raise SystemExit(f"shape {name}: pattern {s['pattern']!r} needs a matcher in PATTERNS")
            pattern = f"Some({PATTERNS[s['pattern']]})" if "pattern" in s else "None"
            if "min" not in s and "max" not in s and pattern == "None":
                return None
            return f"wire::text({v}, {s.get('min', 0)}, {s.get('max', 'usize::MAX')}, {pattern})"
        if t in ("integer", "long"):
            if "min" not in s and "max" not in s:
                return None
            opt = lambda k: f"Some({s[k]})" if k in s else "None"
            return f"wire::within(*{v}, {opt('min')}, {opt('max')})"
        if t == "blob":
            return f"wire::size({v}, {s['max']})" if "max" in s else None
        if t == "list":
            item = self.check(s["member"]["shape"], "x")
            count = f"wire::count({v}.len(), {s.get('min', 0)}, {s.get('max', 'usize::MAX')})"
            return count + (f" && {v}.iter().all(|x| {item})" if item else "")
        if t == "map":
            k = self.check(s["key"]["shape"], "k") or "true"
            x = self.check(s["value"]["shape"], "x") or "true"
            count = f"wire::count({v}.len(), {s.get('min', 0)}, {s.get('max', 'usize::MAX')})"
            return count + f" && {v}.iter().all(|(k, x)| {k} && {x})"
        return None

    def struct(self, name):
        if name in self.seen:
            return
        self.seen.add(name)
        s = self.shapes[name]
        required = {m for m in s.get("required", []) if (name, m) not in OPTIONAL_ANYWAY}
        fields = []
        for m, ref in s.get("members", {}).items():
            t = MEMBER_TYPES.get((name, m)) or self.rust_type(ref["shape"])
            optional = m not in required
            attrs = [f"rename = {rust_str(m)}"]
            if optional:
                attrs.append('default, skip_serializing_if = "Option::is_none"')
                t = f"Option<{t}>"
            d = self.decoder(ref["shape"], optional)
            if d:
                attrs.append(f"deserialize_with = {rust_str(d)}")
            fields.append(f"    #[serde({', '.join(attrs)})]\n    pub {snake(m)}: {t},")
        self.structs.append((name, fields))
        sizes = [f"{len(m) + 4} + self.{snake(m)}.encoded_size()" for m in s.get("members", {})]
        self.sized.append((name, sizes))

    def valid_impl(self, name):
        s = self.shapes[name]
        required = set(s.get("required", []))
        checks, fields = [], []
        for m, ref in s.get("members", {}).items():
            f = snake(m)
            if m in required:
                c = self.check(ref["shape"], f)
            else:
                inner = self.check(ref["shape"], "v")
                c = f"{f}.as_ref().is_none_or(|v| {inner})" if inner else None
            if c:
                checks.append(c)
                fields.append(f)
        if not checks:
            return [f"impl Valid for {name} {{", "    fn valid(&self) -> bool {", "        true", "    }", "}"]
        return [
            f"impl Valid for {name} {{",
            "    fn valid(&self) -> bool {",
            f"        let Self {{ {', '.join(fields)}, .. }} = self;",
            "        " + "\n            && ".join(checks),
            "    }",
            "}",
        ]


def types_rs(version, model):
    shapes = model["shapes"]
    t = Types(shapes)
    inputs, ops = [], []
    for name in sorted(model["operations"]):
        op = model["operations"][name]
        if not served(name):
            continue
        ops.append(name)
        if "input" in op:
            inputs.append(op["input"]["shape"])
            t.struct(op["input"]["shape"])
        if "output" in op:
            out = op["output"]["shape"]
            if any(shapes[r["shape"]].get("eventstream") for r in shapes[out].get("members", {}).values()):
                t.struct("SubscribeToShardEvent")  # the events of an event stream, not the stream
            else:
                t.struct(out)
    valid = []
    for name in inputs:
        t.check(name, "x")
    done = set()
    while t.checked - done:
        name = sorted(t.checked - done)[0]
        done.add(name)
        valid += t.valid_impl(name) + [""]
    rs = [
        "//! The typed request and response structures of the Kinesis stream operations, derived by",
        "//! `crates/server/model/derive.py` from botocore " + version + " (`service-2.json`, API 2013-12-02).",
        "//! Do not edit: run the script.",
        "//!",
        "//! Members keep the model's names on the wire and its order; optional members are `Option`s.",
        "//! Blobs are base64 text in JSON and byte strings in CBOR ([`Blob`]), timestamps epoch seconds",
        "//! in JSON and tag-1 milliseconds in CBOR ([`Timestamp`]). [`Valid`] holds the model's",
        "//! constraints of every request structure: the fast check of a decoded request.",
        "//! [`EncodedSize`] estimates an answer's encoded length, so its buffer is allocated once.",
        "#![allow(dead_code, clippy::all)]",
        "",
        "use super::validate;",
        "use super::wire::{self, Blob, EncodedSize, Timestamp, Valid};",
        "use serde::{Deserialize, Serialize};",
        "use std::collections::BTreeMap;",
        "",
        f"/// The operations these types serve.",
        "pub(crate) const OPERATIONS: &[&str] = &[" + ", ".join(rust_str(o) for o in ops) + "];",
        "",
    ]
    for name, fields in sorted(t.structs):
        rs += [
            f"/// The model's `{name}`.",
            "#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]",
            f"pub(crate) struct {name} {{",
            *fields,
            "}",
            "",
        ]
    rs += valid
    for name, sizes in sorted(t.sized):
        total = " + ".join(["2"] + sizes)
        rs += [
            f"impl EncodedSize for {name} {{",
            "    fn encoded_size(&self) -> usize {",
            f"        {total}",
            "    }",
            "}",
            "",
        ]
    return "\n".join(rs), len(t.structs)


def main():
    arg = sys.argv[1] if len(sys.argv) > 1 else None
    if arg == "--checked-in":
        model = json.loads((ROOT / "kinesis-2013-12-02.json").read_text())
        model_rs = (ROOT.parent / "src" / "model.rs").read_text()
        version = re.search(r'BOTOCORE_VERSION: &str = "([^"]+)"', model_rs).group(1)
    else:
        version, model = fetch(arg)
        model = strip_docs(model)
        (ROOT / "kinesis-2013-12-02.json").write_text(json.dumps(model, indent=1) + "\n")
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
    shapes_rs, n = types_rs(version, model)
    (ROOT.parent / "src" / "shapes.rs").write_text(shapes_rs + "\n")
    for rs_file in ("model.rs", "shapes.rs"):
        subprocess.run(["rustfmt", "--edition", "2021", str(ROOT.parent / "src" / rs_file)], check=False)
    print(f"botocore {version}: {len(ops)} operations, {len(e.out)} input shapes, {n} typed structures")


if __name__ == "__main__":
    main()
