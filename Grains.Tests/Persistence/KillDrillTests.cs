using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Grains.Tests.Persistence;

/// <summary>
/// The short version of <c>Bench -- drill</c>, run as people run it: separate processes (Kafka, three silos, a
/// portal), SIGKILL of random silos while customers chat and a moderator approves, on Redis and on PostgreSQL.
/// Reads the bench's last line; a lost turn, an answer shown twice or a lost approval fails the test.
/// </summary>
[Collection(KillDrillCollection.Name)]
public sealed partial class KillDrillTests
{
    [Theory]
    [InlineData("redis")]
    [InlineData("postgres")]
    public async Task Killing_silos_under_load_loses_no_turn_shows_no_answer_twice_and_loses_no_approval(string store)
    {
        var bench = BenchDll();
        var info = new ProcessStartInfo("dotnet", [bench, "drill", "--kills", "3", "--store", store, "--every-ms", "3000"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        // The drill bounds its own phases (start ≤ 5 min, drain ≤ 3 min); this only stops one that hangs. Six minutes cut
        // a drill short while it was still draining, when a loaded machine had taken 93 s to start its cluster.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(9));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the drill did not finish in 9 minutes:\n{await output}\n{await errors}");
        }
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var last = LastLine().Match(lines.LastOrDefault() ?? "");
        Assert.True(last.Success, $"the drill's last line has its format:\n{await output}\n{await errors}");
        int Figure(string name) => int.Parse(last.Groups[name].Value);
        // Every failure shows the drill's own account (outcomes by status, refusals, where its logs are).
        var account = $"\n{await output}\n{await errors}";
        Assert.True(Figure("kills") == 3, "three kills" + account);
        Assert.True(Figure("turns") > 20, "customers chatted during the kills" + account);
        Assert.True(Figure("turns") == Figure("answered"), "every accepted turn answered" + account);
        Assert.True(Figure("lost") == 0, "no turn lost" + account);
        Assert.True(Figure("duplicates") == 0, "no answer shown twice" + account);
        Assert.True(Figure("approvals") == 0, "no approval lost" + account);
        Assert.True(process.ExitCode == 0, "the drill's exit code" + account);
    }

    [GeneratedRegex(@"^kills=(?<kills>\d+) turns=(?<turns>\d+) answered=(?<answered>\d+) lost=(?<lost>\d+) duplicates_shown=(?<duplicates>\d+) approvals_lost=(?<approvals>\d+)$")]
    private static partial Regex LastLine();

    /// <summary>The bench's build output, beside this test project's (same configuration): the solution build makes both.</summary>
    private static string BenchDll()
    {
        var bin = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var framework = Path.GetFileName(bin);
        var configuration = Path.GetFileName(Path.GetDirectoryName(bin)!);
        var dll = Path.GetFullPath(Path.Combine(bin, "..", "..", "..", "..", "Bench", "bin", configuration, framework, "Bench.dll"));
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build the solution (./test.sh does) before running this test", dll);
    }
}

/// <summary>
/// The kill drills run alone, after the other tests: their five processes take both cores, and tests that ran beside
/// them starved (an audit index more than 30 s behind, a drill of 5¾ minutes).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KillDrillCollection
{
    public const string Name = "kill drills";
}
