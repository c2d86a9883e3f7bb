using Billing.Ledger.Jobs;

namespace Billing.Ledger.Tests.Jobs;

public sealed class JobPolicyTests
{
    private static readonly JobPolicy Policy = new(10, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5));

    [Fact]
    public void nominal_backoff_doubles_per_attempt_and_stops_at_the_max_delay()
    {
        var delays = Enumerable.Range(1, 8).Select(Policy.NominalDelay).Select(d => (int)d.TotalSeconds);

        Assert.Equal([10, 20, 40, 80, 160, 300, 300, 300], delays);
        Assert.Equal(TimeSpan.FromMinutes(5), Policy.NominalDelay(int.MaxValue));
    }

    [Fact]
    public void jittered_backoff_stays_between_half_and_all_of_the_nominal_delay_and_varies()
    {
        var random = new Random(7);
        var samples = Enumerable.Range(0, 200).Select(_ => Policy.Backoff(3, random)).ToList();

        Assert.All(samples, d => Assert.InRange(d, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40)));
        Assert.True(samples.Distinct().Count() > 100);
    }
}
