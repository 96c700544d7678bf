using Bunit;
using Grains.Conversations;
using Portal.Components.Chat;

namespace Portal.Tests.Components;

public sealed class ChatComposerTests : MudTestContext
{
    [Fact]
    public void Sending_raises_the_message_and_clears_the_box()
    {
        string? sent = null;
        var cut = Render<ChatComposer>(p => p.Add(c => c.OnSend, (string text) => sent = text));
        cut.Find("textarea, input").Input("Do you have an electric SUV?");
        cut.Find("[data-testid=send]").Click();
        Assert.Equal("Do you have an electric SUV?", sent);
        Assert.Equal("", cut.Find("textarea, input").GetAttribute("value") ?? "");
    }

    [Fact]
    public void A_message_over_the_limit_cannot_be_sent_and_says_why()
    {
        var sent = false;
        var cut = Render<ChatComposer>(p => p.Add(c => c.OnSend, (string _) => sent = true));
        cut.Find("textarea, input").Input(new string('x', ConversationLimits.MaxMessageLength + 1));
        Assert.True(cut.Find("[data-testid=send]").HasAttribute("disabled"));
        Assert.Contains("limited to 1000 characters", cut.Markup);
        cut.Find("[data-testid=send]").Click();
        Assert.False(sent);
    }

    [Fact]
    public void An_error_from_the_server_is_shown()
    {
        var cut = Render<ChatComposer>(p => p.Add(c => c.Error, "You're sending messages quickly — please wait 7 s before the next one."));
        Assert.Contains("please wait 7 s", cut.Find("[data-testid=send-error]").TextContent);
    }
}
