using Billing.Host.Cli;

return await BillingCli.RunAsync(args);

/// <summary>Entry point type, public for WebApplicationFactory in tests.</summary>
public partial class Program;
