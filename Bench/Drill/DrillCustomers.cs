using System.Collections.Concurrent;
using Grains.Approvals;
using Grains.Conversations;
using Grains.Tenants;

namespace Bench.Drill;

/// <summary>A turn a customer sent, as the drill saw it.</summary>
internal sealed class DrillTurn(string session, string text, bool rude)
{
    public string Session { get; } = session;
    public string Text { get; } = text;
    public bool Rude { get; } = rude;
    /// <summary>Known when Send answered; found later in the conversation when the call broke with the silo.</summary>
    public string? TurnId { get; set; }
    public bool Uncertain { get; set; }
}

/// <summary>
/// Customers and a moderator, as the portal acts for them (the same grain calls): customers chat in their sessions,
/// one question at a time, a few of them rude (held for review); the moderator approves what waits with an edited
/// answer. Calls that break while a silo dies are retried the way the portal would (a view or an approval again).
/// </summary>
internal sealed class DrillCustomers(IClusterClient client, Random random)
{
    private static readonly string[] Tenants = DemoTenants.All.Select(t => t.TenantId).ToArray();
    private static readonly Dictionary<string, string[]> Questions = new()
    {
        ["stuttgart-motors"] = ["Which electric car do you have?", "Can I book a test drive of the GLC?", "What does the EQA cost?", "Do you have an estate car for a family of five?"],
        ["velo-corner"] = ["I need a new e-bike with a big battery", "Do you service cargo bikes?", "Which city bike do you recommend for commuting?"],
        ["harbor-bank"] = ["How do I open a savings account?", "What are your opening hours?", "How can I block my card?"],
        ["open-assistant"] = ["What can you help me with?", "How do I reset my password?", "Can you summarise your return policy?"],
    };
    private static readonly string[] Rude = ["this is fucking ridiculous, you stupid bot, answer me", "you useless idiot bot, this is shit service"];

    private readonly ConcurrentDictionary<string, DrillTurn?> _sessions = new();
    private readonly ConcurrentQueue<DrillTurn> _turns = new();
    private readonly ConcurrentDictionary<string, string> _approved = new();
    private readonly ConcurrentDictionary<string, int> _refusals = new();
    private int _counter;
    private int _refused;

    public IReadOnlyCollection<DrillTurn> Turns => _turns;
    /// <summary>Turn id → the answer the moderator approved (Approve said Applied).</summary>
    public IReadOnlyDictionary<string, string> Approved => _approved;
    public int Refused => _refused;
    /// <summary>Why sends were refused or broke, with counts (a broken send may still have been accepted).</summary>
    public IReadOnlyDictionary<string, int> Refusals => _refusals;

    public async Task OpenSessionsAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var session = $"drill-{i}-{Guid.NewGuid():N}"[..24];
            await Retry(() => client.GetGrain<IConversationGrain>(session).Open(Tenants[i % Tenants.Length]));
            _sessions[session] = null;
        }
    }

    /// <summary>One customer turn in a session whose previous turn has its outcome (customers wait for answers).</summary>
    public async Task SendOneAsync(double rudeShare)
    {
        var idle = _sessions.Where(s => s.Value is null).Select(s => s.Key).ToList();
        if (idle.Count == 0) return;
        var session = idle[random.Next(idle.Count)];
        var grain = client.GetGrain<IConversationGrain>(session);
        var rude = random.NextDouble() < rudeShare;
        var n = Interlocked.Increment(ref _counter);
        var tenant = Tenants[int.Parse(session.Split('-')[1]) % Tenants.Length];
        var text = (rude ? Rude[n % Rude.Length] : Questions[tenant][n % Questions[tenant].Length]) + $" (ref {n})";
        var turn = new DrillTurn(session, text, rude);
        _sessions[session] = turn;
        try
        {
            var sent = await grain.SendAsync(text); // as the portal sends
            if (!sent.Accepted)
            {
                Interlocked.Increment(ref _refused); // a clear refusal (rate limit): nothing was accepted, nothing can be lost
                _refusals.AddOrUpdate(sent.Error ?? "refused", 1, (_, n) => n + 1);
                _sessions[session] = null;
                return;
            }
            turn.TurnId = sent.TurnId;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            turn.Uncertain = true; // the silo died under the call: accepted or not is read back from the conversation
            _refusals.AddOrUpdate("call broke: " + e.GetType().Name, 1, (_, n) => n + 1);
        }
        _turns.Enqueue(turn);
    }

    /// <summary>Frees sessions whose turn has an outcome, and resolves turns whose Send broke.</summary>
    public async Task ObserveAsync()
    {
        foreach (var (session, turn) in _sessions.Where(s => s.Value is not null).ToList())
        {
            var view = await TryAsync(() => client.GetGrain<IConversationGrain>(session).View());
            if (view is null) continue;
            if (turn!.TurnId is null)
                turn.TurnId = view.Lines.FirstOrDefault(l => l.Role == Speaker.Customer && l.Text == turn.Text)?.TurnId;
            if (turn.TurnId is null)
            {
                // Not in the conversation: the broken Send was not accepted; the customer saw an error and may retry.
                if (turn.Uncertain && _unresolvedChecks.AddOrUpdate(session, 1, (_, n) => n + 1) > 3 && _sessions.TryUpdate(session, null, turn)) Interlocked.Increment(ref _refused);
                continue;
            }
            if (view.Lines.Any(l => l.TurnId == turn.TurnId && l.Role == Speaker.Assistant && IsFinal(l.Status))) _sessions.TryUpdate(session, null, turn);
        }
    }

    private readonly ConcurrentDictionary<string, int> _unresolvedChecks = new();

    /// <summary>Approves what waits for review, with an edited answer the drill can recognise at the customer's end.</summary>
    public async Task ModerateAsync()
    {
        foreach (var team in new[] { Teams.Review, Teams.Leads })
        {
            var queue = client.GetGrain<IApprovalQueueGrain>(team);
            var pending = await TryAsync<IReadOnlyList<ApprovalItem>>(async () => await queue.Pending());
            foreach (var item in pending ?? [])
            {
                var answer = $"Sorry for the trouble. A colleague will call you today. [drill approval {item.Turn.TurnId}]";
                var decision = await TryAsync<ApprovalDecision>(async () => await queue.Approve(item.Turn.TurnId, "drill-moderator@example.com", answer));
                if (decision?.Applied == true) _approved[item.Turn.TurnId] = answer;
            }
        }
    }

    public static bool IsFinal(LineStatus status) => status is not (LineStatus.Pending or LineStatus.Held);

    private static async Task<T?> TryAsync<T>(Func<Task<T?>> call) where T : class
    {
        try { return await call(); }
        catch (Exception e) when (e is not OperationCanceledException) { return null; }
    }

    private static async Task Retry(Func<Task> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { await call(); return; }
            catch (Exception) when (attempt < 20) { await Task.Delay(500); }
        }
    }
}
