namespace Billing.Testing;

/// <summary>Waits for background or cross-transaction effects with a deadline instead of a sleep.
/// The log reader, for example, correctly holds back while any transaction in the cluster
/// (including other test classes' databases) is still running.</summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        using var interval = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for {what ?? "the condition"}; last value: {value}");
            }

            await interval.WaitForNextTickAsync();
        }
    }
}
