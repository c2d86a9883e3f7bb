using System.Text.Json;
using Billing.Ledger.Usage;

namespace Billing.Host.Usage;

/// <summary>The 200 answer of <c>POST /v1/usage</c>:
/// <c>{"accepted","duplicates","conflicts","rejected","results":[{"id","tenantId","status","reason"}]}</c>
/// (docs/api.md). Written straight to the response with a <see cref="Utf8JsonWriter"/>: a full
/// batch answers 1,000 results, and building and reflecting over 1,000 records per request cost
/// the ingest benchmark several microseconds per event (issue 4).</summary>
public sealed class UsageBatchResponse(IReadOnlyList<UsageResult> results) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => StatusCodes.Status200OK;

    public IReadOnlyList<UsageResult> Results => results;

    public int Count(UsageStatus status)
    {
        var n = 0;
        foreach (var result in results)
        {
            n += result.Status == status ? 1 : 0;
        }

        return n;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        await using (var json = new Utf8JsonWriter(response.BodyWriter))
        {
            Write(json);
        }

        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteNumber("accepted", Count(UsageStatus.Accepted));
        json.WriteNumber("duplicates", Count(UsageStatus.Duplicate));
        json.WriteNumber("conflicts", Count(UsageStatus.Conflict));
        json.WriteNumber("rejected", Count(UsageStatus.Rejected));
        json.WriteStartArray("results");
        foreach (var result in results)
        {
            json.WriteStartObject();
            WriteText(json, "id", result.ClientEventId);
            WriteText(json, "tenantId", result.TenantId);
            json.WriteString("status", Wire(result.Status));
            WriteText(json, "reason", result.Reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string Wire(UsageStatus status) => status switch
    {
        UsageStatus.Accepted => "accepted",
        UsageStatus.Duplicate => "duplicate",
        UsageStatus.Conflict => "conflict",
        _ => "rejected",
    };

    private static void WriteText(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
