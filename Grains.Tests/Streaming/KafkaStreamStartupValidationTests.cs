using Grains.Tests.Infrastructure;
using Orleans.Runtime;
using Orleans.TestingHost;
using Streaming.Kafka;
using Streaming.Kafka.Hosting;
using Streaming.Kafka.Providers;

namespace Grains.Tests.Streaming;

/// <summary>Bad settings stop a silo at start with a message that names the setting.</summary>
public sealed class KafkaStreamStartupValidationTests
{
    private static async Task<Exception> StartWith(Action<KafkaStreamOptions> configure)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddMemoryGrainStorage("PubSubStore").AddKafkaStreams("bad", configure));
        var cluster = builder.Build();
        try
        {
            var error = await Record.ExceptionAsync(() => cluster.DeployAsync());
            Assert.NotNull(error);
            return error;
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static string AllMessages(Exception e) =>
        string.Join(" | ", new[] { e }.Concat(e is AggregateException a ? a.Flatten().InnerExceptions : []).SelectMany(Chain).Select(x => x.Message));

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException) yield return x;
    }

    [Fact]
    public async Task A_provider_without_topics_is_refused_by_name()
    {
        var error = await StartWith(o => o.BootstrapServers = TestKafka.BootstrapServers);
        Assert.Contains("Kafka stream provider 'bad': Topics is empty", AllMessages(error));
    }

    [Fact]
    public async Task A_malformed_bootstrap_address_is_refused()
    {
        var error = await StartWith(o => { o.BootstrapServers = "kafka-without-port"; o.Topics = ["x"]; });
        Assert.Contains("'kafka-without-port' is not host:port", AllMessages(error));
    }

    [Fact]
    public async Task An_invalid_topic_name_is_refused()
    {
        var error = await StartWith(o => { o.BootstrapServers = TestKafka.BootstrapServers; o.Topics = ["has space"]; });
        Assert.Contains("'has space' is not a valid Kafka topic name", AllMessages(error));
    }

    [Fact]
    public async Task An_unreachable_broker_fails_start_after_the_configured_timeout_with_the_address()
    {
        var error = await StartWith(o =>
        {
            o.BootstrapServers = "127.0.0.1:9"; // discard port: nothing listens
            o.Topics = ["anything"];
            o.StartupTimeout = TimeSpan.FromSeconds(2);
        });
        var message = AllMessages(error);
        Assert.Contains("Kafka at 127.0.0.1:9 did not answer within 2 s", message);
    }

    [Fact]
    public async Task A_missing_topic_is_named_when_topics_may_not_be_created()
    {
        var error = await StartWith(o =>
        {
            o.BootstrapServers = TestKafka.BootstrapServers;
            o.Topics = ["never-created-" + Guid.NewGuid().ToString("N")];
            o.CreateMissingTopics = false;
        });
        Assert.Matches("Topics never-created-[0-9a-f]+(, [^ ]+)* do not exist on .* and CreateMissingTopics is off", AllMessages(error));
    }

    [Fact]
    public void The_validator_accepts_a_complete_configuration()
    {
        var options = new KafkaStreamOptions { BootstrapServers = "a:9092,b:9092", Topics = ["user.messages.raw"] };
        new KafkaStreamOptionsValidator(options, "ok").ValidateConfiguration();
        Assert.Throws<OrleansConfigurationException>(() =>
            new KafkaStreamOptionsValidator(new KafkaStreamOptions { BootstrapServers = "a:9092", Topics = ["t", "t"] }, "dup").ValidateConfiguration());
    }
}
