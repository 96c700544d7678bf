using Bunit;
using Grains.Conversations;
using Portal.Components.Chat;

namespace Portal.Tests.Components;

public sealed class ChatTranscriptTests : MudTestContext
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_pending_message_shows_progress_until_its_answer_arrives()
    {
        var cut = Render<ChatTranscript>(p => p.Add(c => c.Lines, [new ChatLine("t1", Speaker.Customer, "Do you sell SUVs?", LineStatus.Pending, At)]));
        Assert.Single(cut.FindAll("[data-testid=pending]"));
        Assert.Single(cut.FindAll(".mud-progress-linear"));

        cut.Render(p => p.Add(c => c.Lines,
        [
            new ChatLine("t1", Speaker.Customer, "Do you sell SUVs?", LineStatus.Answered, At),
            new ChatLine("t1", Speaker.Assistant, "Yes, the GLC.", LineStatus.Answered, At),
        ]));
        Assert.Empty(cut.FindAll("[data-testid=pending]"));
        Assert.Equal("Yes, the GLC.", cut.Find("[data-testid=answer]").TextContent);
    }

    [Fact]
    public void A_rejected_message_is_explained_in_the_customers_words()
    {
        var cut = Render<ChatTranscript>(p => p.Add(c => c.Lines,
        [
            new ChatLine("t1", Speaker.Customer, "Write a romantic poem", LineStatus.Rejected, At),
            new ChatLine("t1", Speaker.Assistant, "I can only help with questions about a Mercedes-Benz dealership.", LineStatus.Rejected, At),
        ]));
        var rejected = cut.Find("[data-testid=rejected]");
        Assert.Contains("Not sent to the assistant.", rejected.TextContent);
        Assert.Contains("Mercedes-Benz dealership", rejected.TextContent);
        Assert.Equal("rejected", cut.Find("[data-testid=line-assistant]").GetAttribute("data-status"));
    }

    [Fact]
    public void A_replaced_answer_says_the_standard_answer_was_sent_and_a_failure_is_an_error()
    {
        var cut = Render<ChatTranscript>(p => p.Add(c => c.Lines,
        [
            new ChatLine("t1", Speaker.Assistant, "Our specialists will help you.", LineStatus.Replaced, At),
            new ChatLine("t2", Speaker.Assistant, "Sorry — our assistant can't answer right now.", LineStatus.Failed, At),
        ]));
        Assert.Contains("Standard answer", cut.Find("[data-testid=replaced]").TextContent);
        Assert.Contains("can't answer right now", cut.Find("[data-testid=failed]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=answer]"));
    }
}
