// The reference implementation as a command-line oracle for the C# tests and benchmark. JSON on stdout.
//   node oracle.mjs read  <folder-or-s3-uri> <table> [version]
//   node oracle.mjs write <folder-or-s3-uri> <table> <create|append|overwrite> <first-row> <rows> [--dictionary]
//   node oracle.mjs bench-write <folder-or-s3-uri> <table> <rows> <dimension>   /   bench-read <uri> <table>
// S3 settings come from AIP_S3_ENDPOINT, AIP_S3_ACCESS_KEY, AIP_S3_SECRET_KEY.
import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";

const [command, uri, table, ...rest] = process.argv.slice(2);

const storageOptions = uri.startsWith("s3://")
  ? {
      aws_access_key_id: process.env.AIP_S3_ACCESS_KEY,
      aws_secret_access_key: process.env.AIP_S3_SECRET_KEY,
      aws_endpoint: process.env.AIP_S3_ENDPOINT,
      aws_region: "us-east-1",
      allow_http: "true",
      aws_virtual_hosted_style_request: "false",
      new_table_data_storage_version: "2.0",
    }
  : { new_table_data_storage_version: "2.0" };

// Mirrors Samples.cs in tests/Lake.Tests: the same values for the same row numbers.
const isNull = (r) => r % 7 === 3;
const schema = new arrow.Schema([
  new arrow.Field("i32", new arrow.Int32(), true),
  new arrow.Field("i64", new arrow.Int64(), false),
  new arrow.Field("f32", new arrow.Float32(), true),
  new arrow.Field("f64", new arrow.Float64(), true),
  new arrow.Field("flag", new arrow.Bool(), true),
  new arrow.Field("text", new arrow.Utf8(), true),
  new arrow.Field("blob", new arrow.Binary(), true),
  new arrow.Field("at", new arrow.TimestampMicrosecond("UTC"), true),
  new arrow.Field("vector", new arrow.FixedSizeList(4, new arrow.Field("item", new arrow.Float32(), true)), true),
]);

function sampleTable(first, rows, dictionary) {
  const ids = Array.from({ length: rows }, (_, i) => first + i);
  const le64 = (r) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, BigInt(r), true); return b; };
  const columns = {
    i32: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : r * 3)), new arrow.Int32()),
    i64: arrow.vectorFromArray(ids.map((r) => BigInt(r) * 1000000007n), new arrow.Int64()),
    f32: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : r / 4)), new arrow.Float32()),
    f64: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : r / 3)), new arrow.Float64()),
    flag: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : r % 2 === 0)), new arrow.Bool()),
    // With --dictionary the strings repeat (few distinct values), which LanceDB stores dictionary-encoded.
    text: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : dictionary ? `class ${r % 10}` : `row ${r} ü`)), new arrow.Utf8()),
    blob: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : le64(r))), new arrow.Binary()),
    at: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : (1700000000000000 + r) / 1000)), new arrow.TimestampMicrosecond("UTC")),
    vector: arrow.vectorFromArray(ids.map((r) => [r, r + 0.5, -r, 1]), schema.fields[8].type),
  };
  return new arrow.Table(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, nullCount: 0,
    children: schema.fields.map((f) => columns[f.name].data[0]) }));
}

function jsonValue(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Date) return value.getTime();
  if (typeof value === "object" && typeof value.toArray === "function") return Array.from(value.toArray());
  return value;
}

const db = await lancedb.connect(uri, { storageOptions });
if (command === "read") {
  const t = await db.openTable(table);
  if (rest[0]) await t.checkout(Number(rest[0]));
  const data = await t.query().toArrow();
  const columns = {};
  for (const field of data.schema.fields) {
    const vector = data.getChild(field.name);
    columns[field.name] = Array.from({ length: data.numRows }, (_, i) => jsonValue(vector.get(i)));
  }
  console.log(JSON.stringify({ version: await t.version(), rows: data.numRows, types: Object.fromEntries(data.schema.fields.map((f) => [f.name, String(f.type)])), columns }));
} else if (command === "write") {
  const [mode, first, rows, flag] = rest;
  const data = sampleTable(Number(first), Number(rows), flag === "--dictionary");
  let t;
  if (mode === "create") t = await db.createTable(table, data, { mode: "create", storageOptions });
  else if (mode === "overwrite") t = await db.createTable(table, data, { mode: "overwrite", storageOptions });
  else { t = await db.openTable(table); await t.add(data); }
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "bench-write" || command === "bench-read") {
  const { runBenchmark } = await import("./bench.mjs");
  console.log(JSON.stringify(await runBenchmark(db, command, table, rest, storageOptions)));
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
