using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Streaming.Kafka.Embedded;

/// <summary>
/// Loads the librdkafka that ships inside Confluent.Kafka and binds the few functions that
/// Confluent.Kafka does not expose (the mock cluster's, and the cluster id). Both must use the same native image, so we pick the file,
/// hand it to <see cref="Library.Load(string)"/> and resolve our symbols from that same handle.
/// </summary>
internal static unsafe class LibrdkafkaNative
{
    private static readonly Lock Gate = new();
    private static nint _handle;

    public static string? LoadedPath { get; private set; }

    public static delegate* unmanaged<nint> ConfNew;
    public static delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int> ConfSet;
    public static delegate* unmanaged<int, nint, byte*, nuint, nint> KafkaNew;
    public static delegate* unmanaged<nint, void> KafkaDestroy;
    public static delegate* unmanaged<nint, int, nint> MockClusterNew;
    public static delegate* unmanaged<nint, nint> MockClusterBootstraps;
    public static delegate* unmanaged<nint, void> MockClusterDestroy;
    public static delegate* unmanaged<nint, byte*, int, int, int> MockTopicCreate;
    public static delegate* unmanaged<nint, void> ConfDestroy;
    public static delegate* unmanaged<nint, int, nint> ClusterId;
    public static delegate* unmanaged<nint, nint, void> MemFree;

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != 0) return;
            var path = PathConfluentLoaded() ?? FindLoadableLibrary();
            _handle = NativeLibrary.Load(path);
            LoadedPath = path;

            ConfNew = (delegate* unmanaged<nint>)Export("rd_kafka_conf_new");
            ConfSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)Export("rd_kafka_conf_set");
            KafkaNew = (delegate* unmanaged<int, nint, byte*, nuint, nint>)Export("rd_kafka_new");
            KafkaDestroy = (delegate* unmanaged<nint, void>)Export("rd_kafka_destroy");
            MockClusterNew = (delegate* unmanaged<nint, int, nint>)Export("rd_kafka_mock_cluster_new");
            MockClusterBootstraps = (delegate* unmanaged<nint, nint>)Export("rd_kafka_mock_cluster_bootstraps");
            MockClusterDestroy = (delegate* unmanaged<nint, void>)Export("rd_kafka_mock_cluster_destroy");
            MockTopicCreate = (delegate* unmanaged<nint, byte*, int, int, int>)Export("rd_kafka_mock_topic_create");
            ConfDestroy = (delegate* unmanaged<nint, void>)Export("rd_kafka_conf_destroy");
            ClusterId = (delegate* unmanaged<nint, int, nint>)Export("rd_kafka_clusterid");
            MemFree = (delegate* unmanaged<nint, nint, void>)Export("rd_kafka_mem_free");
        }
    }

    /// <summary>
    /// Lets Confluent.Kafka load librdkafka its own way (Library.Load(path) needs a libdl.so that
    /// Debian lacks), then finds the file it mapped, so that our symbols come from the same image.
    /// </summary>
    private static string? PathConfluentLoaded()
    {
        _ = Library.Version;
        if (!OperatingSystem.IsLinux()) return null;
        return File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length >= 6 && parts[5].Contains("librdkafka", StringComparison.Ordinal))
            .Select(parts => parts[5])
            .FirstOrDefault();
    }

    private static nint Export(string name) => NativeLibrary.GetExport(_handle, name);

    /// <summary>Sets one property of a librdkafka configuration; false with librdkafka's reason when it refuses it.</summary>
    public static bool TrySet(nint conf, string key, string value, out string? error)
    {
        var k = System.Text.Encoding.UTF8.GetBytes(key + "\0");
        var v = System.Text.Encoding.UTF8.GetBytes(value + "\0");
        var errstr = stackalloc byte[512];
        fixed (byte* pk = k)
        fixed (byte* pv = v)
        {
            var ok = ConfSet(conf, pk, pv, errstr, 512) == 0;
            error = ok ? null : Marshal.PtrToStringUTF8((nint)errstr);
            return ok;
        }
    }

    /// <summary>
    /// The default Linux build wants libsasl2.so.3, which Debian 12 lacks; the centos8 build of the
    /// same version has no such dependency. Try them in Confluent.Kafka's own order of preference.
    /// </summary>
    private static string FindLoadableLibrary()
    {
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        string[] names = OperatingSystem.IsLinux()
            ? ["librdkafka.so", "centos8-librdkafka.so", "centos7-librdkafka.so", "alpine-librdkafka.so"]
            : OperatingSystem.IsMacOS() ? ["librdkafka.dylib"] : ["librdkafka.dll"];
        var folders = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native"),
            Path.Combine(AppContext.BaseDirectory, "runtimes", OperatingSystem.IsMacOS() ? "osx-x64" : "win-x64", "native"),
            AppContext.BaseDirectory,
        };
        var tried = new List<string>();
        foreach (var folder in folders)
        {
            foreach (var name in names)
            {
                var path = Path.Combine(folder, name);
                if (!File.Exists(path)) continue;
                tried.Add(path);
                if (NativeLibrary.TryLoad(path, out var probe))
                {
                    NativeLibrary.Free(probe);
                    return path;
                }
            }
        }
        throw new DllNotFoundException(
            "No loadable librdkafka was found next to the application (tried: " +
            (tried.Count == 0 ? "none present" : string.Join(", ", tried)) + ").");
    }
}
