using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>A span as an OTLP exporter sent it: ids in hex, the exporting process's service name, string attributes.</summary>
public sealed record ReceivedSpan(string Service, string Scope, string TraceId, string SpanId, string? ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, string> Attributes)
{
    public const int Server = 2, Producer = 4, Consumer = 5;

    public override string ToString() => $"{Service} {Scope} '{Name}' kind {Kind} {TraceId}/{SpanId} <- {ParentSpanId ?? "root"}";
}

/// <summary>
/// A collector in the test process, in place of an in-memory exporter that the gateway and workers (processes of their
/// own) could not share: it takes OTLP/HTTP protobuf exports (POST /v1/traces) and keeps their spans in memory. It
/// decodes only the fields of opentelemetry/proto/trace/v1/trace.proto a span tree needs.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly LoopbackHttpServer _server;

    public OtlpTraceReceiver() => _server = new LoopbackHttpServer(ReceiveAsync, "v1/traces/");

    /// <summary>The base address for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>).</summary>
    public Uri Endpoint => _server.BaseUrl;

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    private Task ReceiveAsync(HttpListenerContext context, byte[] body)
    {
        foreach (var span in Decode(body)) _spans.Enqueue(span);
        // An empty ExportTraceServiceResponse: everything accepted.
        context.Response.ContentType = "application/x-protobuf";
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        // ExportTraceServiceRequest.resource_spans = 1
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = Fields(resourceSpans, 1).SelectMany(resource => Attributes(resource, 1))
                .FirstOrDefault(a => a.Key == "service.name").Value ?? "";
            // ResourceSpans.scope_spans = 2; ScopeSpans.scope = 1 (InstrumentationScope.name = 1), spans = 2
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = Fields(scopeSpans, 1).SelectMany(s => Fields(s, 1)).Select(b => b.ToStringUtf8()).FirstOrDefault() ?? "";
                foreach (var span in Fields(scopeSpans, 2)) yield return DecodeSpan(service, scope, span);
            }
        }
    }

    private static ReceivedSpan DecodeSpan(string service, string scope, ByteString span)
    {
        string traceId = "", spanId = "", name = "";
        string? parent = null;
        var kind = 0;
        var input = span.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 4: parent = input.ReadBytes() is { Length: > 0 } p ? Convert.ToHexStringLower(p.Span) : null; break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        return new ReceivedSpan(service, scope, traceId, spanId, parent, name, kind, Attributes(span, 9).ToDictionary());
    }

    /// <summary>KeyValue fields (key = 1, value = 2: AnyValue, of which string_value = 1 and int_value = 3 are read).</summary>
    private static IEnumerable<KeyValuePair<string, string>> Attributes(ByteString message, int field) =>
        Fields(message, field).Select(keyValue =>
        {
            var key = Fields(keyValue, 1).Select(b => b.ToStringUtf8()).FirstOrDefault() ?? "";
            var value = Fields(keyValue, 2).Select(AnyValueText).FirstOrDefault() ?? "";
            return new KeyValuePair<string, string>(key, value);
        }).GroupBy(a => a.Key).Select(g => g.Last());

    private static string AnyValueText(ByteString anyValue)
    {
        var input = anyValue.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: return input.ReadString();
                case 3: return input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
                default: input.SkipLastField(); break;
            }
        }
        return "";
    }

    /// <summary>The length-delimited occurrences of <paramref name="field"/> in a message.</summary>
    private static List<ByteString> Fields(byte[] message, int field) => Fields(ByteString.CopyFrom(message), field);

    private static List<ByteString> Fields(ByteString message, int field)
    {
        var found = new List<ByteString>();
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                found.Add(input.ReadBytes());
            else input.SkipLastField();
        }
        return found;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
