// LanceDB side of bench/Lake.Bench: the same 70,000-row table (vector of 784 floats, int64, utf8), timed here.
import * as arrow from "apache-arrow";

function table(rows, dimension) {
  const values = new Float32Array(rows * dimension);
  for (let i = 0; i < rows; i++) for (let j = 0; j < dimension; j++) values[i * dimension + j] = ((i * 31 + j * 17) % 255) / 255;
  const itemField = new arrow.Field("item", new arrow.Float32(), true);
  const listType = new arrow.FixedSizeList(dimension, itemField);
  const items = arrow.makeData({ type: new arrow.Float32(), length: rows * dimension, data: values });
  const image = arrow.makeVector(arrow.makeData({ type: listType, length: rows, child: items }));
  const id = arrow.vectorFromArray(BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)), new arrow.Int64());
  const text = arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => `item-${i}`), new arrow.Utf8());
  return new arrow.Table({ image, id, text });
}

export async function runBenchmark(db, command, name, args, storageOptions) {
  if (command === "bench-write") {
    const [rows, dimension] = args.map(Number);
    const data = table(rows, dimension);
    const start = process.hrtime.bigint();
    await db.createTable(name, data, { mode: "overwrite", storageOptions });
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  }
  const start = process.hrtime.bigint();
  const t = await db.openTable(name);
  const result = await t.query().toArrow();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, rows: result.numRows };
}
