using System.Reflection;
using Billing.Benchmarks;

// Usage: dotnet run -c Release --project tests/Billing.Benchmarks -- <name> [--quick]
var benchmarks = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .ToDictionary(b => b.Name, StringComparer.OrdinalIgnoreCase);

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var benchmark))
{
    await Console.Error.WriteLineAsync($"usage: Billing.Benchmarks <{string.Join('|', benchmarks.Keys.Order())}> [--quick]");
    return 2;
}

return await benchmark.RunAsync(args.Skip(1).ToArray());
