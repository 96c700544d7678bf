namespace Grains.Guardrails;

/// <summary>
/// Generic requests no business assistant handles, written for this project. The topic detector
/// compares a message with them as well as with the tenant's topics: a message nearer this
/// background than to any allowed topic is off-topic even above the similarity threshold
/// (open-set recognition: a few examples per tenant cannot describe everything else).
/// </summary>
internal static class OffTopicBackground
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Topics = new Dictionary<string, IReadOnlyList<string>>
    {
        ["weather"] = ["what's the weather like today", "will it rain tomorrow", "how cold is it outside", "what's the forecast for the weekend"],
        ["time and dates"] = ["what time is it", "what day is it today", "set an alarm for seven", "remind me to call mom", "how many days until christmas", "set a timer for ten minutes"],
        ["cooking"] = ["give me a recipe for pancakes", "how long do I boil an egg", "what can I cook with chicken and rice", "how many calories are in an apple", "what wine goes with fish"],
        ["travel"] = ["book me a flight to paris", "what are good hotels in rome", "do I need a visa for japan", "what should I pack for a beach holiday", "how do I get to the airport"],
        ["entertainment"] = ["recommend a good movie", "what's on tv tonight", "tell me a joke", "play some music", "who won the game last night", "what's a good book to read"],
        ["creative"] = ["write a poem", "tell me a story", "write song lyrics about summer", "draw a picture of a cat"],
        ["knowledge"] = ["who was the first president", "what is the capital of australia", "how far is the moon", "explain quantum physics", "what is the meaning of life", "how do vaccines work"],
        ["math and code"] = ["what is 15 times 23", "solve this equation for x", "write a python function", "convert 10 miles to kilometers", "how do I fix this javascript error"],
        ["personal"] = ["how do I lose weight", "what should I name my dog", "give me relationship advice", "how can I sleep better", "I feel bored", "what should I do this weekend"],
        ["language"] = ["translate hello into spanish", "how do you say thank you in french", "what does this word mean", "spell necessary", "what's a synonym for happy"],
        ["smart home and phone"] = ["turn off the lights", "call my sister", "text john that I'm late", "what's on my calendar", "add milk to my shopping list", "find my phone"],
    };
}
