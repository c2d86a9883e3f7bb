using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;
using Serilog.Formatting.Json;

namespace Billing.Host.Observability;

/// <summary>Serilog for the Host (libraries log through <c>ILogger&lt;T&gt;</c> only).
/// <list type="bullet">
/// <item><c>Billing:Logging:Format</c>: <c>json</c> (default; one JSON object per line on stdout),
/// <c>text</c> (human-readable, for the demo and a terminal) or <c>none</c> (no console sink).
/// Lines are formatted and written off the logging thread (<see cref="BufferedConsoleSink"/>).</item>
/// <item>Levels from the <c>Serilog</c> section (<c>Serilog:MinimumLevel:Default</c>,
/// <c>Serilog:MinimumLevel:Override:&lt;namespace&gt;</c>); defaults Information, ASP.NET Core Warning.</item>
/// <item>Every event carries <c>CorrelationId</c> inside a request and is masked
/// (<see cref="SecretMaskingEnricher"/>, <see cref="MaskingFormatter"/>).</item>
/// </list></summary>
public static class BillingLogging
{
    public const string FormatSetting = "Billing:Logging:Format";
    private const string TextTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj} {CorrelationId}{NewLine}{Exception}";

    public static Logger CreateLogger(IConfiguration configuration, IEnumerable<ILogEventSink> extraSinks)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
            .MinimumLevel.Override("Billing.Host.Auth.ApiKeyAuthenticationHandler", LogEventLevel.Warning)
            .ReadFrom.Configuration(SerilogSection(configuration))
            .Enrich.FromLogContext()
            .Enrich.With(new CorrelationIdEnricher())
            .Enrich.With(new SecretMaskingEnricher());

        if (ConsoleFormatter(configuration) is { } formatter)
        {
            config.WriteTo.Sink(new BufferedConsoleSink(new MaskingFormatter(formatter), Console.OpenStandardOutput()));
        }

        foreach (var sink in extraSinks)
        {
            config.WriteTo.Sink(new MaskingSink(sink));
        }

        return config.CreateLogger();
    }

    /// <summary>The <c>Serilog</c> settings without empty values: command-line style sources
    /// (WebApplicationFactory turns its settings into <c>--key=value</c> arguments, parent
    /// sections included) give parents an empty value, which Serilog would read as a level.</summary>
    private static IConfiguration SerilogSection(IConfiguration configuration) => new ConfigurationBuilder()
        .AddInMemoryCollection(configuration.GetSection("Serilog").AsEnumerable().Where(kv => !string.IsNullOrEmpty(kv.Value)))
        .Build();

    private static ITextFormatter? ConsoleFormatter(IConfiguration configuration) =>
        (configuration[FormatSetting] ?? "json").ToLowerInvariant() switch
        {
            "json" => new JsonFormatter(renderMessage: true),
            "text" => new MessageTemplateTextFormatter(TextTemplate, System.Globalization.CultureInfo.InvariantCulture),
            "none" => null,
            var other => throw new InvalidOperationException($"{FormatSetting} must be json, text or none, not '{other}'."),
        };
}
