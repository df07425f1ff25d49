using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Xunit;
using Field = AiPlatform.Lake.Batches.Field;
using RecordBatch = AiPlatform.Lake.Batches.RecordBatch;
using Schema = AiPlatform.Lake.Batches.Schema;

namespace AiPlatform.Lake.Tests;

/// <summary>The lake's batches as Apache Arrow batches and back: every type, nulls, sliced Arrow arrays, Arrow IPC.</summary>
public sealed class ArrowBatchesTests
{
    [Fact]
    public void Every_type_with_nulls_goes_to_arrow_and_back_unchanged()
    {
        var arrow = Samples.Batch(10, 300).ToArrow();

        Assert.Equal(300, arrow.Length);
        Assert.Equal(["i32", "i64", "f32", "f64", "flag", "text", "blob", "at", "vector"], arrow.Schema.FieldsList.Select(f => f.Name));
        Assert.IsType<StringType>(arrow.Schema.GetFieldByName("text").DataType);
        Assert.Equal(TimeUnit.Microsecond, ((TimestampType)arrow.Schema.GetFieldByName("at").DataType).Unit);
        Assert.Equal(4, ((FixedSizeListType)arrow.Schema.GetFieldByName("vector").DataType).ListSize);
        Assert.False(arrow.Schema.GetFieldByName("i64").IsNullable);
        var text = (StringArray)arrow.Column("text");
        Assert.Null(text.GetString(0)); // row 10: Samples.IsNull
        Assert.Equal("row 14 ü", text.GetString(4));
        Assert.Equal(((Int32Array)arrow.Column("i32")).NullCount, Enumerable.Range(10, 300).Count(r => Samples.IsNull(r)));

        var back = ArrowBatches.FromArrow(arrow);
        Assert.True(back.Schema.SameAs(Samples.AllTypes));
        Samples.AssertRows(back, 10);
    }

    [Fact]
    public void Null_items_inside_vectors_and_null_vectors_survive_the_trip()
    {
        var schema = new Schema(new Field("v", LanceType.FixedSizeListFloat32(3)));
        var batch = new RecordBatch(schema, [new FixedSizeListFloat32Column(3, [1, 0, 3, 0, 0, 0], validity: [true, false], itemValidity: [true, false, true, true, true, true])]);

        var items = (FloatArray)((FixedSizeListArray)batch.ToArrow().Column(0)).Values;
        Assert.False(items.IsValid(1));
        var back = ArrowBatches.FromArrow(batch.ToArrow()).Column<FixedSizeListFloat32Column>("v");
        Assert.Equal(new float?[] { 1, null, 3 }, back[0]);
        Assert.Null(back[1]);
    }

    [Fact]
    public void Numbers_and_vectors_are_shared_with_arrow_not_copied()
    {
        var values = new long[] { 1, 2, 3 };
        var arrow = new RecordBatch(new Schema(new Field("n", LanceType.Int64)), [new Int64Column(values)]).ToArrow();
        values[1] = 42;
        Assert.Equal(42, ((Int64Array)arrow.Column(0)).GetValue(1));
    }

    [Fact]
    public void Sliced_arrow_arrays_are_read_from_their_offset()
    {
        var arrow = Samples.Batch(0, 100).ToArrow().Slice(37, 20);
        Samples.AssertRows(ArrowBatches.FromArrow(arrow), 37);
    }

    [Fact]
    public void Large_strings_and_millisecond_timestamps_from_other_producers_are_read()
    {
        var schema = new Apache.Arrow.Schema([
            new Apache.Arrow.Field("name", LargeStringType.Default, true),
            new Apache.Arrow.Field("at", new TimestampType(TimeUnit.Millisecond, (string?)null), true),
        ], null);
        var arrow = new Apache.Arrow.RecordBatch(schema, [
            new LargeStringArray.Builder().Append("a").AppendNull().Append("ccc").Build(),
            new TimestampArray.Builder(new TimestampType(TimeUnit.Millisecond, (string?)null)).Append(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123)).AppendNull().Append(DateTimeOffset.UnixEpoch).Build(),
        ], 3);

        var batch = ArrowBatches.FromArrow(arrow);
        Assert.Equal(["a", null, "ccc"], Enumerable.Range(0, 3).Select(i => batch.Column<StringColumn>("name")[i]));
        Assert.Equal(1_700_000_000_123_000L, batch.Column<TimestampColumn>("at")[0]);
        Assert.Null(batch.Column<TimestampColumn>("at")[1]);
    }

    [Fact]
    public void An_arrow_type_the_lake_does_not_store_is_refused_naming_its_column()
    {
        var schema = new Apache.Arrow.Schema([new Apache.Arrow.Field("small", Int8Type.Default, true)], null);
        var arrow = new Apache.Arrow.RecordBatch(schema, [new Int8Array.Builder().Append(1).Build()], 1);
        var error = Assert.Throws<NotSupportedException>(() => ArrowBatches.FromArrow(arrow));
        Assert.Contains("'small'", error.Message);
    }

    [Fact]
    public async Task An_arrow_ipc_stream_is_written_to_a_dataset_and_read_back_as_one()
    {
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, Samples.AllTypes.ToArrow(), leaveOpen: true))
        {
            await writer.WriteRecordBatchAsync(Samples.Batch(0, 250).ToArrow());
            await writer.WriteRecordBatchAsync(Samples.Batch(250, 250).ToArrow());
            await writer.WriteEndAsync();
        }
        stream.Position = 0;

        var catalog = new LakeCatalog(Stores.Options("local"));
        using (var reader = new ArrowStreamReader(stream))
        await using (var dataset = catalog.CreateDatasetWriter("from-arrow", ArrowBatches.FromArrow(reader.Schema)))
        {
            while (await reader.ReadNextRecordBatchAsync() is { } arrow) await dataset.WriteAsync(arrow);
            await dataset.CommitAsync();
        }

        var read = await (await catalog.OpenDatasetAsync("from-arrow")).ReadAsync();
        using var copy = new MemoryStream();
        using (var writer = new ArrowStreamWriter(copy, read.Schema.ToArrow(), leaveOpen: true)) await writer.WriteRecordBatchAsync(read.ToArrow());
        copy.Position = 0;
        using var again = new ArrowStreamReader(copy);
        Samples.AssertRows(ArrowBatches.FromArrow((await again.ReadNextRecordBatchAsync())!), 0);
    }
}
