using Grains.Guardrails.Embeddings;

namespace Grains.Guardrails.Topics;

/// <summary>
/// Everyday requests no business assistant handles, written for this project: the "everything
/// else" against which the policy page measures a tenant's examples when it proposes a threshold
/// (how high do everyday requests score against these topics?). Not a decision rule: a message is
/// judged by the tenant's own examples only.
/// </summary>
public static class OffTopicBackground
{
    public static readonly IReadOnlyList<string> Requests =
    [
        "what's the weather like today", "will it rain tomorrow", "how cold is it outside", "what's the forecast for the weekend", "is it going to snow",
        "what time is it", "what day is it today", "set an alarm for seven", "remind me to call mom", "how many days until christmas", "set a timer for ten minutes",
        "give me a recipe for pancakes", "how long do I boil an egg", "what can I cook with chicken and rice", "how many calories are in an apple", "what wine goes with fish",
        "how do I make sourdough bread", "is it safe to eat raw cookie dough", "what's a good vegetarian dinner",
        "book me a flight to paris", "what are good hotels in rome", "do I need a visa for japan", "what should I pack for a beach holiday", "how do I get to the airport",
        "what's the best time to visit iceland", "recommend a restaurant nearby",
        "recommend a good movie", "what's on tv tonight", "tell me a joke", "play some music", "who won the game last night", "what's a good book to read",
        "when does the next season of my show come out", "who sings this song",
        "write a poem", "tell me a story", "write song lyrics about summer", "draw a picture of a cat", "write a birthday message for my aunt",
        "who was the first president", "what is the capital of australia", "how far is the moon", "explain quantum physics", "what is the meaning of life",
        "how do vaccines work", "why is the sky blue", "when did the second world war end", "how many people live in china", "who painted the mona lisa",
        "what is 15 times 23", "solve this equation for x", "write a python function", "convert 10 miles to kilometers", "how do I fix this javascript error",
        "what's the square root of 144", "help me with my chemistry homework", "explain photosynthesis",
        "how do I lose weight", "what should I name my dog", "give me relationship advice", "how can I sleep better", "I feel bored", "what should I do this weekend",
        "how do I get rid of a headache", "what are the symptoms of the flu", "how much water should I drink a day", "is coffee bad for you",
        "translate hello into spanish", "how do you say thank you in french", "what does this word mean", "spell necessary", "what's a synonym for happy",
        "turn off the lights", "call my sister", "text john that I'm late", "what's on my calendar", "add milk to my shopping list", "find my phone",
        "how do I grow tomatoes", "when should I plant tulips", "how often should I water a cactus",
        "what's your favourite colour", "are you a robot", "how old are you", "who made you", "do you have any pets", "what are your hobbies",
        "how do I train my puppy", "why does my cat scratch the furniture",
        "how do I unclog a drain", "how do I remove a wine stain", "what's the best way to clean windows",
        "who is the richest person in the world", "what's the latest news", "how does the stock market work", "what's bitcoin worth today",
        "how do I write a cover letter", "what should I wear to a job interview", "help me plan a wedding", "ideas for a kid's birthday party",
        "how do I knit a scarf", "how do I learn to play guitar", "what are the rules of chess", "how do I solve a rubik's cube",
    ];

    private static readonly Lock Gate = new();
    private static (string Model, Task<float[][]> Vectors)? _cached;

    /// <summary>The requests embedded by this process's model (once).</summary>
    public static Task<float[][]> VectorsAsync(TextEmbedder embedder)
    {
        lock (Gate)
        {
            if (_cached is { } c && c.Model == embedder.ModelName && !c.Vectors.IsFaulted) return c.Vectors;
            var task = embedder.EmbedManyAsync(Requests);
            _cached = (embedder.ModelName, task);
            return task;
        }
    }
}
