using System.Runtime.InteropServices;

namespace Streaming.Kafka.Embedded;

/// <summary>
/// A cluster's id from its metadata, through a short-lived librdkafka handle of our own: Confluent.Kafka does not
/// expose <c>rd_kafka_clusterid</c>, and its DescribeCluster needs an API the mock cluster does not answer.
/// </summary>
public static unsafe class KafkaClusterId
{
    /// <summary>The id, or null when the cluster did not answer within <paramref name="timeout"/> or the settings were refused.</summary>
    public static string? Read(IEnumerable<KeyValuePair<string, string>> settings, TimeSpan timeout)
    {
        LibrdkafkaNative.EnsureLoaded();
        var conf = LibrdkafkaNative.ConfNew();
        foreach (var (key, value) in settings.Append(new("log_level", "3")))
        {
            if (!LibrdkafkaNative.TrySet(conf, key, value, out _))
            {
                LibrdkafkaNative.ConfDestroy(conf);
                return null;
            }
        }
        var errstr = stackalloc byte[512];
        var rk = LibrdkafkaNative.KafkaNew(0 /* RD_KAFKA_PRODUCER */, conf, errstr, 512);
        if (rk == 0)
        {
            LibrdkafkaNative.ConfDestroy(conf); // still ours when rd_kafka_new fails
            return null;
        }
        try
        {
            var id = LibrdkafkaNative.ClusterId(rk, (int)timeout.TotalMilliseconds);
            if (id == 0) return null;
            try { return Marshal.PtrToStringUTF8(id); }
            finally { LibrdkafkaNative.MemFree(rk, id); }
        }
        finally
        {
            LibrdkafkaNative.KafkaDestroy(rk);
        }
    }
}
