namespace Billing.Benchmarks;

/// <summary>One named benchmark (<c>eventstore</c>, <c>projections</c>, <c>queue</c>, ...). Each
/// prints its figures and, as its last line, the summary named in its issue.</summary>
public interface IBenchmark
{
    string Name { get; }

    Task<int> RunAsync(string[] args);
}
