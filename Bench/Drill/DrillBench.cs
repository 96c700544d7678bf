using System.Diagnostics;
using System.Text;
using Grains.Conversations;
using Grains.Hosting;
using Grains.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bench.Drill;

/// <summary>
/// The production shape under fire, with separate processes: the embedded Kafka cluster in a process of its own,
/// N silo processes and a portal (an Orleans client of them) on Redis or PostgreSQL for state, membership and
/// reminders. Customers chat (some rudely, held for review and approved while the drill runs) while a random silo
/// gets SIGKILL every few seconds and is restarted. Then every accepted turn must have exactly one outcome shown,
/// and every approval must have reached its customer.
/// Ends with exactly one line: <c>kills=K turns=T answered=A lost=L duplicates_shown=D approvals_lost=P</c>.
/// </summary>
internal static class DrillBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var kills = BenchArgs.Int(args, "--kills", 20);
        var store = BenchArgs.Str(args, "--store", "redis");
        var siloCount = BenchArgs.Int(args, "--silos", 3);
        var rate = BenchArgs.Int(args, "--rate", 4);
        var gapMs = BenchArgs.Int(args, "--every-ms", 4000);
        var seed = BenchArgs.Int(args, "--seed", Environment.TickCount & 0xffff);
        if (store is not ("redis" or "postgres")) { Console.Error.WriteLine("drill: --store is redis or postgres"); return 2; }
        var random = new Random(seed);
        var logs = Directory.CreateTempSubdirectory("drill-").FullName;
        var serviceId = "drill-" + Guid.NewGuid().ToString("N")[..8];
        Console.WriteLine($"drill: {siloCount} silos + portal + Kafka process, store {store}, {kills} kills about every {gapMs / 1000.0:0.#} s (after the last restart is ready), {rate} turns/s, seed {seed}; logs in {logs}");

        // State, membership and reminders all in one store, as a production deployment would have them.
        var settings = new Dictionary<string, string?>
        {
            ["Orleans:Storage"] = store, ["Orleans:Clustering"] = store, ["Orleans:Reminders"] = store,
            ["Orleans:ServiceId"] = serviceId, ["Orleans:ClusterId"] = serviceId,
        };
        if (store == "redis") settings["ConnectionStrings:Redis"] = RedisServer.ConnectionString;
        else settings["ConnectionStrings:Postgres"] = await PostgresServer.NewDatabaseAsync();

        var processes = new List<DrillProcess>();
        // Ctrl+C or SIGTERM must not leave silos behind: kill what the drill started, then let the process end.
        void KillAll() { foreach (var process in processes.ToList()) process.KillAsync().GetAwaiter().GetResult(); }
        Console.CancelKeyPress += (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        try
        {
            var bootstrapFile = Path.Combine(logs, "kafka-bootstrap");
            var kafka = new DrillProcess("kafka", Dll("Silo"), ["kafka", $"--Kafka:Embedded:BootstrapFile={bootstrapFile}"], logs, healthUrl: null);
            processes.Add(kafka);
            kafka.Start();
            await kafka.WaitReadyAsync(TimeSpan.FromSeconds(60), line => line.StartsWith("kafka: embedded cluster", StringComparison.Ordinal));
            settings["Kafka:BootstrapServers"] = File.ReadAllText(bootstrapFile).Trim();
            var common = settings.Where(s => s.Value is not null).Select(s => $"--{s.Key}={s.Value}").ToList();

            var silos = Enumerable.Range(1, siloCount).Select(i =>
            {
                var http = RedisServer.FreePort();
                return new DrillProcess($"silo{i}", Dll("Silo"),
                    [.. common, $"--Orleans:SiloPort={RedisServer.FreePort()}", $"--Orleans:GatewayPort={RedisServer.FreePort()}", $"--urls=http://127.0.0.1:{http}"],
                    logs, $"http://127.0.0.1:{http}/health");
            }).ToList();
            processes.AddRange(silos);
            var started = Stopwatch.StartNew();
            foreach (var silo in silos) silo.Start();
            foreach (var silo in silos) await silo.WaitReadyAsync(TimeSpan.FromSeconds(180));
            var portalPort = RedisServer.FreePort();
            var portal = new DrillProcess("portal", Dll("Portal"), [.. common, "--Portal:CoHostSilo=false", $"--urls=http://127.0.0.1:{portalPort}"],
                logs, $"http://127.0.0.1:{portalPort}/health/kafka");
            processes.Add(portal);
            portal.Start(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" });
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
            Console.WriteLine($"drill: cluster up in {started.Elapsed.TotalSeconds:0.0} s (portal at http://127.0.0.1:{portalPort})");

            // Silent: the drill prints what happened and ends with its result line; each process logs to its own file.
            using var client = await PlatformClustering.StartClientAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), LogLevel.None);
            var customers = new DrillCustomers(client.Services.GetRequiredService<IClusterClient>(), random);
            await customers.OpenSessionsAsync(48);

            // Customers, moderator and observer run until the kills are done; then the drill drains.
            using var stop = new CancellationTokenSource();
            var sends = new List<Task>();
            var sending = Loop(TimeSpan.FromMilliseconds(1000.0 / rate), () => { lock (sends) sends.Add(customers.SendOneAsync(rudeShare: 0.1)); return Task.CompletedTask; }, stop.Token);
            var observing = Loop(TimeSpan.FromMilliseconds(500), customers.ObserveAsync, stop.Token);
            using var moderating = new CancellationTokenSource();
            var moderation = Loop(TimeSpan.FromMilliseconds(1500), customers.ModerateAsync, moderating.Token);

            var clock = Stopwatch.StartNew();
            for (var k = 1; k <= kills; k++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(gapMs * (0.5 + random.NextDouble())));
                var victim = silos[random.Next(silos.Count)];
                await victim.KillAsync();
                var killedAt = clock.Elapsed;
                victim.Start();
                await victim.WaitReadyAsync(TimeSpan.FromSeconds(180));
                Console.WriteLine($"drill: kill {k}/{kills}: {victim.Name} at {killedAt.TotalSeconds:0.0} s, back in {(clock.Elapsed - killedAt).TotalSeconds:0.0} s; {customers.Turns.Count} turns so far, {customers.Approved.Count} approved");
            }
            await stop.CancelAsync();
            await sending;
            Task[] inFlight;
            lock (sends) inFlight = [.. sends];
            await Task.WhenAll(inFlight);

            // Drain: every accepted turn gets its outcome, the moderator approves what still waits.
            var drain = Stopwatch.StartNew();
            var grains = client.Services.GetRequiredService<IClusterClient>();
            while (drain.Elapsed < TimeSpan.FromSeconds(180) && !await AllFinalAsync(grains, customers))
                await Task.Delay(500);
            await moderating.CancelAsync();
            await Task.WhenAll(observing, moderation);

            var result = await CountAsync(grains, customers);
            var finalDuplicates = DuplicatesOnFinalTopic(settings["Kafka:BootstrapServers"]!);
            var portalAlive = await PortalAnswersAsync(portalPort);
            Console.WriteLine($"drill: outcomes {string.Join(", ", result.ByStatus.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}"))}; " +
                              $"{customers.Approved.Count} approved by the moderator; {customers.Refused} sends refused or not accepted (the customer saw an error)");
            Console.WriteLine($"drill: sends refused or broken: {string.Join("; ", customers.Refusals.Select(r => $"{r.Key} ×{r.Value}"))}");
            Console.WriteLine($"drill: agent.responses.final holds {finalDuplicates} duplicate event ids (redeliveries the conversation absorbed); portal after the drill: {(portalAlive ? "answers" : "DOES NOT ANSWER")}");
            Console.WriteLine($"drill: drained in {drain.Elapsed.TotalSeconds:0.0} s; whole drill {clock.Elapsed.TotalSeconds:0} s");
            Console.WriteLine($"kills={kills} turns={result.Turns} answered={result.Answered} lost={result.Lost} duplicates_shown={result.Duplicates} approvals_lost={result.ApprovalsLost}");
            return result.Lost == 0 && result.Duplicates == 0 && result.ApprovalsLost == 0 && portalAlive ? 0 : 1;
        }
        finally
        {
            foreach (var process in processes) await process.KillAsync();
        }
    }

    private sealed record DrillResult(int Turns, int Answered, int Lost, int Duplicates, int ApprovalsLost, Dictionary<string, int> ByStatus);

    private static async Task<bool> AllFinalAsync(IClusterClient grains, DrillCustomers customers)
    {
        try
        {
            foreach (var turn in customers.Turns.Where(t => t.TurnId is not null))
            {
                var view = await grains.GetGrain<IConversationGrain>(turn.Session).View();
                if (!view!.Lines.Any(l => l.TurnId == turn.TurnId && l.Role == Speaker.Assistant && DrillCustomers.IsFinal(l.Status))) return false;
            }
            return customers.Turns.All(t => t.TurnId is not null || t.Uncertain);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<DrillResult> CountAsync(IClusterClient grains, DrillCustomers customers)
    {
        int turns = 0, answered = 0, lost = 0, duplicates = 0, approvalsLost = 0;
        var byStatus = new Dictionary<string, int>();
        foreach (var turn in customers.Turns)
        {
            var view = (await grains.GetGrain<IConversationGrain>(turn.Session).View())!;
            turn.TurnId ??= view.Lines.FirstOrDefault(l => l.Role == Speaker.Customer && l.Text == turn.Text)?.TurnId;
            if (turn.TurnId is null) continue; // never accepted: the customer was told the send failed
            turns++;
            var lines = view.Lines.Where(l => l.TurnId == turn.TurnId && l.Role == Speaker.Assistant).ToList();
            var final = lines.Where(l => DrillCustomers.IsFinal(l.Status)).ToList();
            if (final.Count > 0) answered++; else lost++;
            if (lines.Count > 1) duplicates++;
            var status = final.Count > 0 ? final[0].Status.ToString() : lines.Count > 0 ? "still " + lines[0].Status : "nothing";
            byStatus[status] = byStatus.GetValueOrDefault(status) + 1;
            if (customers.Approved.TryGetValue(turn.TurnId, out var approved) && !lines.Any(l => l.Text == approved)) approvalsLost++;
        }
        return new DrillResult(turns, answered, lost, duplicates, approvalsLost, byStatus);
    }

    /// <summary>Event ids written more than once to agent.responses.final (read with a plain consumer, nothing committed).</summary>
    private static int DuplicatesOnFinalTopic(string bootstrap) =>
        Streaming.Kafka.KafkaTopicScan.ReadAll(bootstrap, new Dictionary<string, string>(), Grains.Pipeline.Topics.AgentResponsesFinal)
            .GroupBy(r => r.Message.Headers.TryGetLastBytes("ce_id", out var id) ? Encoding.UTF8.GetString(id) : $"{r.Partition}/{r.Offset}")
            .Sum(g => g.Count() - 1);

    private static async Task<bool> PortalAnswersAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try { return (await http.GetAsync($"http://127.0.0.1:{port}/")).IsSuccessStatusCode; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
    }

    private static async Task Loop(TimeSpan period, Func<Task> step, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try { await step(); }
                catch (Exception e) when (e is not OperationCanceledException) { /* a call broke with a silo: next tick */ }
            }
        }
        catch (OperationCanceledException) { /* stopped */ }
    }

    /// <summary>A project's build output next to this bench's (same configuration), e.g. Silo/bin/Release/net10.0/Silo.dll.</summary>
    private static string Dll(string project)
    {
        var bin = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar); // …/Bench/bin/Release/net10.0
        var framework = Path.GetFileName(bin);
        var configuration = Path.GetFileName(Path.GetDirectoryName(bin)!);
        var root = Path.GetFullPath(Path.Combine(bin, "..", "..", "..", ".."));
        var dll = Path.Combine(root, project, "bin", configuration, framework, project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"drill: {dll} is missing; build the solution first (dotnet build Orleans.sln -c {configuration})", dll);
    }
}
