using System.Diagnostics;

namespace Bench.Drill;

/// <summary>
/// One child process of the drill (the Kafka process, a silo, the portal), started from the build output with
/// <c>dotnet NAME.dll</c>, its output appended to a log file of its own; killed with SIGKILL, never asked to stop.
/// </summary>
internal sealed class DrillProcess(string name, string dll, IReadOnlyList<string> arguments, string logFolder, string? healthUrl)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private Process? _process;
    private int _starts;

    public string Name => name;
    public string LogFile => Path.Combine(logFolder, name + ".log");
    public bool Running => _process is { HasExited: false };

    public void Start(IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet", [dll, .. arguments])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        log.WriteLine($"---- start {++_starts} at {DateTimeOffset.UtcNow:O}: dotnet {dll} {string.Join(' ', arguments)}");
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _process.Exited += (_, _) => { lock (log) log.Dispose(); };
        _process.EnableRaisingEvents = true;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no shutdown hook runs, nothing is flushed or handed over.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>Waits until the process answers its health URL (or, without one, until a line of its log says so).</summary>
    public async Task WaitReadyAsync(TimeSpan deadline, Func<string, bool>? logSays = null)
    {
        var end = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < end)
        {
            if (_process is { HasExited: true }) throw new InvalidOperationException($"{name} exited with code {_process.ExitCode} while starting; see {LogFile}");
            if (healthUrl is not null)
            {
                try
                {
                    using var response = await Http.GetAsync(healthUrl);
                    if (response.IsSuccessStatusCode) return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { /* not listening yet */ }
            }
            else if (logSays is not null && File.Exists(LogFile) && ReadShared(LogFile).Split('\n').Any(logSays)) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"{name} was not ready within {deadline.TotalSeconds:0} s; see {LogFile}");
    }

    private static string ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
