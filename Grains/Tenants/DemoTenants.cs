using Grains.Guardrails;
using Grains.Pipeline;

namespace Grains.Tenants;

/// <summary>One demo tenant per tier, seeded at start so the portal has something to talk to.</summary>
public static class DemoTenants
{
    public static readonly TenantProfile StuttgartMotors = new()
    {
        TenantId = "stuttgart-motors",
        Name = "Stuttgart Motors",
        Business = "a Mercedes-Benz dealership",
        Tier = Tier.Enterprise,
        TopicVocabulary =
        [
            "car", "cars", "vehicle", "suv", "sedan", "coupe", "electric", "ev", "hybrid", "engine", "mileage", "range",
            "test", "drive", "lease", "leasing", "finance", "financing", "loan", "trade", "price", "cost", "warranty",
            "service", "servicing", "maintenance", "tyre", "tire", "tires", "brake", "brakes", "oil", "seat", "seats",
            "interior", "horsepower", "dealership", "showroom", "model", "models", "buy", "order", "delivery",
            "mercedes", "benz", "amg", "eqs", "eqa", "porsche", "bmw", "audi", "tesla", "family", "charging", "battery",
            "appointment", "insurance", "colour", "color", "luggage", "boot", "trunk", "towing", "fuel",
        ],
        Catalog =
        [
            new("Mercedes-Benz C-Class", "sedan", 48_900m, "a comfortable mid-size sedan with a 2.0 l mild-hybrid engine"),
            new("Mercedes-Benz GLC", "suv", 56_500m, "a family SUV with all-wheel drive and a large boot"),
            new("Mercedes-Benz EQS", "electric", 104_400m, "a flagship electric sedan with up to 780 km of range"),
            new("Mercedes-AMG GT", "coupe", 139_000m, "a 585 hp sports coupe"),
            new("Service plan", "service", 29m, "monthly servicing with tyres and brakes included"),
        ],
        FallbackAnswer = "Thanks for your question! One of our Mercedes-Benz specialists will gladly help you find the right car — you can also book a test drive at Stuttgart Motors.",
        Greeting = "Welcome to Stuttgart Motors! Ask me about our Mercedes-Benz models, test drives or servicing.",
        Policy = new GuardrailPolicy
        {
            Competitors = ["Porsche", "BMW", "Audi", "Tesla", "Lexus", "Volvo"],
            AllowedTopics = new Dictionary<string, IReadOnlyList<string>>
            {
                ["models"] = ["which models do you have", "tell me about the C-Class", "is the GLC a good family car", "what SUVs do you sell", "compare the C-Class and the E-Class", "how much horsepower does the AMG GT have", "which car has the biggest boot", "do you have a seven seater"],
                ["electric"] = ["which electric car has the longest range", "how long does the EQS take to charge", "do you sell hybrid cars", "what is the battery warranty on electric models", "can I charge at home"],
                ["buying"] = ["how much does the GLC cost", "can I lease a car", "what financing options do you offer", "can I trade in my old car", "is there a waiting list for delivery", "can I order a car in a custom colour", "what is the monthly payment"],
                ["test drive"] = ["can I book a test drive", "I would like to try the EQS this weekend", "when is the showroom open", "where is your dealership"],
                ["service"] = ["my car needs a service", "how much is an oil change", "do you replace tyres", "book a service appointment", "what does the warranty cover", "my brakes are squeaking"],
            },
            BlockedTopics = new Dictionary<string, IReadOnlyList<string>>
            {
                ["creative writing"] = ["write a poem", "write me a romantic poem", "tell me a story", "write song lyrics", "compose a haiku"],
                ["homework"] = ["solve this math problem", "write my essay", "explain photosynthesis"],
            },
            BrandTerms = ["Mercedes", "Mercedes-Benz", "German cars", "German car", "European cars", "European car"],
            MaxDiscountPercent = 5,
            MaxDiscountAmount = 2000,
        },
    };

    public static readonly TenantProfile HarborBank = new()
    {
        TenantId = "harbor-bank",
        Name = "Harbor Bank",
        Business = "a retail bank",
        Tier = Tier.Pro,
        Currency = "$",
        TopicVocabulary =
        [
            "account", "accounts", "balance", "card", "cards", "credit", "debit", "transfer", "payment", "payments",
            "savings", "interest", "rate", "rates", "loan", "mortgage", "overdraft", "fee", "fees", "atm", "branch",
            "pin", "statement", "deposit", "withdraw", "withdrawal", "open", "close", "bank", "banking", "online",
            "app", "fraud", "lost", "stolen", "limit", "iban", "currency", "exchange",
        ],
        Catalog =
        [
            new("Everyday Account", "account", 0m, "a current account with no monthly fee and a free debit card"),
            new("Harbor Saver", "savings", 0m, "an easy-access savings account paying 2.1% a year"),
            new("Harbor Visa", "card", 3m, "a credit card with 0% on purchases for 12 months"),
            new("Home Mortgage", "mortgage", 0m, "fixed-rate mortgages for 2, 5 or 10 years"),
        ],
        FallbackAnswer = "Thanks for asking. A Harbor Bank advisor can help you with that — please call us or visit a branch.",
        Greeting = "Hi, I'm Harbor Bank's assistant. Ask me about accounts, cards, savings or mortgages.",
        Policy = new GuardrailPolicy
        {
            Competitors = ["Barclays", "HSBC", "Revolut", "Monzo", "Chase"],
            AllowedTopics = new Dictionary<string, IReadOnlyList<string>>
            {
                ["accounts"] = ["how do I open an account", "what is my balance", "how do I close my account", "can I get a statement", "what are the account fees"],
                ["cards"] = ["I lost my card", "my card was declined", "how do I change my pin", "what is my credit limit", "can I increase my credit limit", "how long does a replacement card take"],
                ["payments"] = ["how do I transfer money", "how do I pay a bill", "what is the routing number", "can I send money abroad", "report a fraudulent transaction"],
                ["savings and loans"] = ["what interest rate do you pay on savings", "can I get a mortgage", "how do I apply for a loan", "what is the APR"],
            },
            BrandTerms = ["Harbor Bank"],
            CustomerPii = PiiAction.Block,
        },
    };

    public static readonly TenantProfile VeloCorner = new()
    {
        TenantId = "velo-corner",
        Name = "Velo Corner",
        Business = "a bicycle shop",
        Tier = Tier.Free,
        TopicVocabulary =
        [
            "bike", "bikes", "bicycle", "bicycles", "ebike", "e-bike", "cycling", "gravel", "road", "mountain", "helmet",
            "lock", "tyre", "tire", "tires", "puncture", "gear", "gears", "chain", "brake", "brakes", "saddle", "frame",
            "size", "repair", "service", "price", "buy", "order", "delivery", "light", "lights", "battery", "commute",
        ],
        Catalog =
        [
            new("Urban Commuter 3", "bike", 649m, "a city bike with hub gears and dynamo lights"),
            new("Gravel Pro 2", "bike", 1_490m, "a gravel bike with hydraulic disc brakes"),
            new("E-Trek 500", "ebike", 2_890m, "an e-bike with a 500 Wh battery and up to 120 km of assist"),
            new("Bike service", "service", 59m, "a full service: gears, brakes, chain and tyres checked"),
        ],
        FallbackAnswer = "Thanks! Drop by Velo Corner and our mechanics will help you out.",
        Greeting = "Hey! Velo Corner here — ask me about bikes, e-bikes, gear or a service.",
        Policy = new GuardrailPolicy
        {
            Competitors = ["Decathlon", "Halfords", "Canyon"],
            AllowedTopics = new Dictionary<string, IReadOnlyList<string>>
            {
                ["bikes"] = ["which bike is good for commuting", "do you sell gravel bikes", "what size frame do I need", "how much is the e-bike", "how far can the e-bike go on one charge"],
                ["gear"] = ["do you sell helmets", "I need bike lights", "which lock should I buy", "do you have panniers"],
                ["repairs"] = ["I have a puncture", "my gears are slipping", "how much is a service", "can you fix my brakes", "my chain keeps falling off"],
            },
            BrandTerms = ["Velo Corner"],
        },
    };

    /// <summary>A general assistant with no topic restriction, so the safety detectors can be seen (and evaluated) alone.</summary>
    public static readonly TenantProfile OpenAssistant = new()
    {
        TenantId = "open-assistant",
        Name = "Open Assistant",
        Business = "a general-purpose assistant",
        Tier = Tier.Free,
        Catalog = [],
        FallbackAnswer = "Sorry, I can't help with that one.",
        Greeting = "Hi! Ask me anything — safety guardrails still apply.",
        Policy = new GuardrailPolicy(),
    };

    public static readonly TenantProfile[] All = [StuttgartMotors, HarborBank, VeloCorner, OpenAssistant];
}
