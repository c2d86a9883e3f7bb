using Npgsql;
using NpgsqlTypes;

namespace Billing.Ledger.EventStore;

/// <summary>Grouped appends: several single-event appends at a known version (NoStream, or
/// Exact) to distinct streams in one unit of work go as one set-based statement instead of one
/// statement each. A webhook inbox batch creates up to 256 streams this way, and the processor
/// appends a "processed" marker at Exact(1) to as many. Results and errors are those of the
/// per-append path (migration 0085, docs/architecture.md).</summary>
public sealed partial class EventStore
{
    // Arrays hold one element per append of the group; the last parameter is recorded_at.
    // Stream rows are inserted sorted by (tenant, stream), so two concurrent groups over shared
    // streams wait on each other in one order instead of deadlocking; events are inserted in
    // append order. A row whose stream exists (a retry, a racing creator that committed first)
    // or whose event id is stored writes nothing there and goes, sorted likewise, through
    // ledger.append_grouped_fallback, which returns the retry's original result or raises the
    // error naming its ordinal; the whole statement then fails and nothing of it stays written.
    // Exact appends lock their stream rows sorted by (tenant, stream) before bumping them, and
    // only when they are at the expected version, not archived and the event id is not stored;
    // a racing appender holding a row makes the lock wait and re-test the row once it commits.
    // The statements live in functions that pin index plans (migration 0095, after 0085 ran
    // them as top-level statements): a generic plan cached while ledger.streams was small
    // hashed a full scan of it on every call.
    private const string NewStreamGroupSql = "SELECT * FROM ledger.append_new_streams_grouped($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

    private const string ExactGroupSql = "SELECT * FROM ledger.append_exact_grouped($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
}
