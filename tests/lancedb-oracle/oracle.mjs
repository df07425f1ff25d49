// The reference implementation as a command-line oracle for the C# tests and benchmark. JSON on stdout.
//   node oracle.mjs read  <folder-or-s3-uri> <table> [version]
//   node oracle.mjs write <uri> <table> <create|append|overwrite> <first-row> <rows> [--dictionary | --long-text | --huge-text] [--storage 2.0|2.1|2.2]
//                                                                                   [--batches K] [--stable-row-ids]
//   node oracle.mjs write-vectors <uri> <table> <rows> [--storage V] [--dimension D]   vectors (D items, 3 unless told) with null items,
//                                                                                    null rows, an all-null vector column
//   node oracle.mjs write-runs <uri> <table> <rows> [--storage V]      int, double and timestamp columns of long runs (some nulls)
//   node oracle.mjs write-constant <uri> <table> <rows> [--with-string] [--storage V]   columns whose rows all hold one value
//   node oracle.mjs write-null-items <uri> <table> <rows> [--storage V]   128-float vectors whose items are all null
//   node oracle.mjs write-bss <uri> <table> <rows> [--storage V]   a float column LanceDB stores byte_stream_split (zstd)
//   node oracle.mjs write-typed <uri> <table> <rows> [--stable-row-ids]  large_string, large_binary, timestamp without zone, metadata
//   node oracle.mjs delete <uri> <table> <predicate>  /  update <uri> <table> <where> <column> <sql value>
//   node oracle.mjs add-null-column <uri> <table> <name>  /  drop-columns <uri> <table> <name,...>
//   node oracle.mjs create-index <uri> <table> <column>  /  compact <uri> <table>
//   node oracle.mjs state <uri> <table>      version, rows, listIndices, schema (types, metadata) and row ids
//   node oracle.mjs bench-write <folder-or-s3-uri> <table> <rows> <dimension>   /   bench-read <uri> <table>
// S3 settings come from AIP_S3_ENDPOINT, AIP_S3_ACCESS_KEY, AIP_S3_SECRET_KEY.
import * as lancedb from "@lancedb/lancedb";
import * as arrow from "apache-arrow";

const [command, uri, table, ...arguments_] = process.argv.slice(2);
const flag = (name) => arguments_.includes(name);
const option = (name, fallback) => (arguments_.indexOf(name) >= 0 ? arguments_[arguments_.indexOf(name) + 1] : fallback);
const valued = ["--storage", "--dimension", "--batches"];
const rest = arguments_.filter((a, i) => !a.startsWith("--") && !(i > 0 && valued.includes(arguments_[i - 1])));

const storageOptions = uri.startsWith("s3://")
  ? {
      aws_access_key_id: process.env.AIP_S3_ACCESS_KEY,
      aws_secret_access_key: process.env.AIP_S3_SECRET_KEY,
      aws_endpoint: process.env.AIP_S3_ENDPOINT,
      aws_region: "us-east-1",
      allow_http: "true",
      aws_virtual_hosted_style_request: "false",
    }
  : {};
storageOptions.new_table_data_storage_version = option("--storage", "2.0");
if (flag("--stable-row-ids")) storageOptions.new_table_enable_stable_row_ids = "true";

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

function sampleTable(first, rows, dictionary, longText, hugeText) {
  const ids = Array.from({ length: rows }, (_, i) => first + i);
  const le64 = (r) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, BigInt(r), true); return b; };
  const columns = {
    i32: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : r * 3)), new arrow.Int32()),
    i64: arrow.vectorFromArray(ids.map((r) => BigInt(r) * 1000000007n), new arrow.Int64()),
    f32: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : r / 4)), new arrow.Float32()),
    f64: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : r / 3)), new arrow.Float64()),
    flag: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : r % 2 === 0)), new arrow.Bool()),
    // With --dictionary the strings repeat (few distinct values), which LanceDB stores dictionary-encoded.
    // With --long-text every string is over 256 bytes, which LanceDB stores whole per row (full-zip) in 2.1/2.2; with
    // --huge-text over 32 KB, which LanceDB 2.1/2.2 also compresses one by one.
    text: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : dictionary ? `class ${r % 10}` : longText ? `row ${r} ü ${"long ".repeat(60)}`
      : hugeText ? `row ${r} ü ${"huge ".repeat(8000)}` : `row ${r} ü`)), new arrow.Utf8()),
    blob: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : le64(r))), new arrow.Binary()),
    at: arrow.vectorFromArray(ids.map((r) => (isNull(r) ? null : (1700000000000000 + r) / 1000)), new arrow.TimestampMicrosecond("UTC")),
    vector: arrow.vectorFromArray(ids.map((r) => [r, r + 0.5, -r, 1]), schema.fields[8].type),
  };
  return new arrow.Table(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, nullCount: 0,
    children: schema.fields.map((f) => columns[f.name].data[0]) }));
}

// Fixed-size lists built buffer by buffer: vectorFromArray drops the placeholder items of null rows.
function vectors(type, rows, dimension, rowValid, item) {
  const values = new Float32Array(rows * dimension);
  const itemBits = new Uint8Array(Math.ceil((rows * dimension) / 8));
  const rowBits = new Uint8Array(Math.ceil(rows / 8));
  let itemNulls = 0, rowNulls = 0;
  for (let r = 0; r < rows; r++) {
    if (rowValid(r)) rowBits[r >> 3] |= 1 << (r & 7); else rowNulls++;
    for (let j = 0; j < dimension; j++) {
      const v = rowValid(r) ? item(r, j) : 0;
      const i = r * dimension + j;
      if (v === null) itemNulls++; else { values[i] = v; itemBits[i >> 3] |= 1 << (i & 7); }
    }
  }
  const child = arrow.makeData({ type: new arrow.Float32(), length: rows * dimension, nullCount: itemNulls, nullBitmap: itemBits, data: values });
  return arrow.makeVector(arrow.makeData({ type, length: rows, nullCount: rowNulls, nullBitmap: rowBits, child }));
}

function jsonValue(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Date) return value.getTime();
  // Vectors item by item, so a null item stays null (toArray would give the stored placeholder).
  if (typeof value === "object" && typeof value.get === "function" && typeof value.length === "number")
    return Array.from({ length: value.length }, (_, j) => jsonValue(value.get(j)));
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
  const [mode, first, rows] = rest;
  // With --batches K the rows reach LanceDB as K record batches, which it writes as several pages per column when large.
  const batches = Number(option("--batches", "1"));
  const per = Math.ceil(Number(rows) / batches);
  const parts = Array.from({ length: batches }, (_, b) => sampleTable(Number(first) + b * per, Math.min(per, Number(rows) - b * per), flag("--dictionary"), flag("--long-text"), flag("--huge-text")));
  const data = batches === 1 ? parts[0] : new arrow.Table(parts.flatMap((t) => t.batches));
  let t;
  if (mode === "create") t = await db.createTable(table, data, { mode: "create", storageOptions });
  else if (mode === "overwrite") t = await db.createTable(table, data, { mode: "overwrite", storageOptions });
  else { t = await db.openTable(table); await t.add(data); }
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "write-vectors") {
  const rows = Number(rest[0]);
  const dimension = Number(option("--dimension", "3"));
  const item = () => new arrow.Field("item", new arrow.Float32(), true);
  const vectorSchema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("vec", new arrow.FixedSizeList(dimension, item()), true),
    new arrow.Field("empty", new arrow.FixedSizeList(4, item()), true),
  ]);
  // Row r: item j is r + j, except item 1 is null when r % 3 == 1; the row is null when r % 5 == 4; "empty" is null everywhere.
  const columns = { id: arrow.vectorFromArray(Array.from({ length: rows }, (_, r) => BigInt(r)), new arrow.Int64()) };
  columns.vec = vectors(vectorSchema.fields[1].type, rows, dimension, (r) => r % 5 !== 4, (r, j) => (r % 3 === 1 && j === 1 ? null : r + j));
  columns.empty = vectors(vectorSchema.fields[2].type, rows, 4, () => false, () => null);
  const data = new arrow.Table(vectorSchema, arrow.makeData({ type: new arrow.Struct(vectorSchema.fields), length: rows, nullCount: 0,
    children: vectorSchema.fields.map((f) => columns[f.name].data[0]) }));
  const t = await db.createTable(table, data, { mode: "create", storageOptions });
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "write-runs") {
  // Columns of long runs, which LanceDB 2.1/2.2 stores run-length encoded: label r / 100 (null when r % 1000 == 999),
  // level r / 300 as int64, score (r / 50) / 4 as double (null when r % 1000 == 999), ts 1700000000000000 + r / 200 us.
  const rows = Number(rest[0]);
  const ids = Array.from({ length: rows }, (_, r) => r);
  const runSchema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("label", new arrow.Int32(), true),
    new arrow.Field("level", new arrow.Int64(), false),
    new arrow.Field("score", new arrow.Float64(), true),
    new arrow.Field("ts", new arrow.TimestampMicrosecond("UTC"), true),
  ]);
  const runColumns = {
    id: arrow.vectorFromArray(ids.map((r) => BigInt(r)), new arrow.Int64()),
    label: arrow.vectorFromArray(ids.map((r) => (r % 1000 === 999 ? null : Math.floor(r / 100))), new arrow.Int32()),
    level: arrow.vectorFromArray(ids.map((r) => BigInt(Math.floor(r / 300))), new arrow.Int64()),
    score: arrow.vectorFromArray(ids.map((r) => (r % 1000 === 999 ? null : Math.floor(r / 50) / 4)), new arrow.Float64()),
    ts: arrow.vectorFromArray(ids.map((r) => (1700000000000000 + Math.floor(r / 200)) / 1000), new arrow.TimestampMicrosecond("UTC")),
  };
  const data = new arrow.Table(runSchema, arrow.makeData({ type: new arrow.Struct(runSchema.fields), length: rows, nullCount: 0,
    children: runSchema.fields.map((f) => runColumns[f.name].data[0]) }));
  const t = await db.createTable(table, data, { mode: "create", storageOptions });
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "write-constant") {
  // Columns whose rows all hold one value, which LanceDB 2.2 stores in the page layout itself: c int32 7, d double 2.5,
  // yes bool true, no bool false, and with --with-string s utf8 "same" (in a page buffer).
  const rows = Number(rest[0]);
  const constant = (value, type) => arrow.vectorFromArray(Array.from({ length: rows }, () => value), type);
  const columns = { c: constant(7, new arrow.Int32()), d: constant(2.5, new arrow.Float64()),
    yes: constant(true, new arrow.Bool()), no: constant(false, new arrow.Bool()) };
  if (flag("--with-string")) columns.s = constant("same", new arrow.Utf8());
  const t = await db.createTable(table, new arrow.Table(columns), { mode: "create", storageOptions });
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "write-null-items") {
  // Valid vectors whose every item is null: LanceDB stores the items as a "constant" with no value (full-zip pages).
  const rows = Number(rest[0]);
  const type = new arrow.FixedSizeList(128, new arrow.Field("item", new arrow.Float32(), true));
  const columns = { v: arrow.vectorFromArray(Array.from({ length: rows }, () => Array.from({ length: 128 }, () => null)), type) };
  const t = await db.createTable(table, new arrow.Table(columns), { mode: "create", storageOptions });
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "write-bss") {
  // Byte stream split is LanceDB's choice only when a field's metadata asks for compression, as here.
  const rows = Number(rest[0]);
  const bssSchema = new arrow.Schema([new arrow.Field("f", new arrow.Float32(), false,
    new Map([["lance-encoding:compression", "zstd"], ["lance-encoding:bss", "on"]]))]);
  const values = arrow.vectorFromArray(Array.from({ length: rows }, (_, r) => Math.sin(r) * 1000), new arrow.Float32());
  const data = new arrow.Table(bssSchema, arrow.makeData({ type: new arrow.Struct(bssSchema.fields), length: rows, nullCount: 0,
    children: [values.data[0]] }));
  const t = await db.createTable(table, data, { mode: "create", storageOptions });
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "write-typed") {
  const rows = Number(rest[0]);
  const typedSchema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false, new Map([["role", "key"]])),
    new arrow.Field("name", new arrow.LargeUtf8(), true),
    new arrow.Field("payload", new arrow.LargeBinary(), true),
    new arrow.Field("seen", new arrow.TimestampMicrosecond(), true),
  ], new Map([["owner", "lake-tests"]]));
  const columns = {
    id: arrow.vectorFromArray(Array.from({ length: rows }, (_, r) => BigInt(r)), new arrow.Int64()),
    name: arrow.vectorFromArray(Array.from({ length: rows }, (_, r) => (r % 4 === 2 ? null : `name ${r}`)), new arrow.LargeUtf8()),
    payload: arrow.vectorFromArray(Array.from({ length: rows }, (_, r) => (r % 4 === 2 ? null : Uint8Array.of(r % 256, 7))), new arrow.LargeBinary()),
    seen: arrow.vectorFromArray(Array.from({ length: rows }, (_, r) => 1700000000000 + r), new arrow.TimestampMicrosecond()),
  };
  const data = new arrow.Table(typedSchema, arrow.makeData({ type: new arrow.Struct(typedSchema.fields), length: rows, nullCount: 0,
    children: typedSchema.fields.map((f) => columns[f.name].data[0]) }));
  // LanceDB's JS wrapper refuses large types in its own checks; the core takes them as Arrow IPC.
  await db.inner.createTable(table, Buffer.from(arrow.tableToIPC(data, "file")), "create", [], storageOptions);
  const t = await db.openTable(table);
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "delete") {
  const t = await db.openTable(table);
  await t.delete(rest[0]);
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "update") {
  const [where, column, value] = rest;
  const t = await db.openTable(table);
  await t.update({ where, valuesSql: { [column]: value } });
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "add-null-column") {
  const t = await db.openTable(table);
  // As Arrow IPC: LanceDB's addColumns(Field) checks instanceof against its own copy of apache-arrow.
  const added = new arrow.Schema([new arrow.Field(rest[0], new arrow.Int32(), true)]);
  const empty = new arrow.Table(added, arrow.makeData({ type: new arrow.Struct(added.fields), length: 0, nullCount: 0,
    children: [arrow.makeData({ type: new arrow.Int32(), length: 0 })] }));
  await t.inner.addColumnsWithSchema(Buffer.from(arrow.tableToIPC(empty, "file")));
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "drop-columns") {
  const t = await db.openTable(table);
  await t.dropColumns(rest[0].split(","));
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "create-index") {
  const t = await db.openTable(table);
  await t.createIndex(rest[0], { config: lancedb.Index.btree() });
  console.log(JSON.stringify({ version: await t.version() }));
} else if (command === "compact") {
  const t = await db.openTable(table);
  const stats = await t.optimize();
  console.log(JSON.stringify({ version: await t.version(), stats: JSON.parse(JSON.stringify(stats, (_, v) => (typeof v === "bigint" ? Number(v) : v))) }));
} else if (command === "state") {
  const t = await db.openTable(table);
  const schemaOf = await t.schema();
  const data = await t.query().withRowId().toArrow();
  const rowIds = data.getChild("_rowid");
  console.log(JSON.stringify({
    version: await t.version(),
    rows: data.numRows,
    indices: (await t.listIndices()).map((i) => ({ name: i.name, columns: i.columns, indexType: i.indexType })),
    schemaMetadata: Object.fromEntries(schemaOf.metadata ?? new Map()),
    fields: schemaOf.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable, metadata: Object.fromEntries(f.metadata ?? new Map()) })),
    rowIds: Array.from({ length: data.numRows }, (_, i) => rowIds.get(i).toString()),
  }));
} else if (command === "bench-write" || command === "bench-read") {
  const { runBenchmark } = await import("./bench.mjs");
  console.log(JSON.stringify(await runBenchmark(db, command, table, rest, storageOptions)));
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
