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
        Catalog =
        [
            new("Mercedes-Benz C-Class", "sedan", 48_900m, "a comfortable mid-size sedan with a 2.0 l mild-hybrid engine"),
            new("Mercedes-Benz GLC", "suv", 56_500m, "a family SUV with all-wheel drive and a large boot"),
            new("Mercedes-Benz EQS", "electric", 104_400m, "a flagship electric sedan with up to 780 km of range"),
            new("Mercedes-AMG GT", "coupe", 139_000m, "a 585 hp sports coupe"),
            new("Service plan", "service", 29m, "a monthly servicing plan with tyres and brakes included"),
        ],
        FallbackAnswer = "Thanks for your question! One of our Mercedes-Benz specialists will gladly help you find the right car — you can also book a test drive at Stuttgart Motors.",
        Greeting = "Welcome to Stuttgart Motors! Ask me about our Mercedes-Benz models, test drives or servicing.",
        Policy = new GuardrailPolicy
        {
            Competitors = ["Porsche", "BMW", "Audi", "Tesla", "Lexus", "Volvo"],
            AllowedTopics = new Dictionary<string, IReadOnlyList<string>>
            {
                ["models"] =
                [
                    "which models do you have", "what's the latest Mercedes model", "tell me about the C-Class", "is the GLC a good family car",
                    "what SUVs do you sell", "compare the C-Class and the E-Class", "how much horsepower does the AMG GT have",
                    "which car has the biggest boot", "do you have a seven seater", "what colours does the GLC come in",
                    "is the new E-Class out yet", "what's the fuel economy of the C-Class", "does the GLC have all-wheel drive",
                    "what's the difference between the GLC and the GLE", "how many miles per gallon does the E-Class get", "which model is best for towing a caravan",
                    "does the C-Class come as an estate", "what safety features does the GLA have", "is the AMG GT a two seater", "what engine options are there for the E-Class",
                ],
                ["electric"] =
                [
                    "which electric car has the longest range", "how long does the EQS take to charge", "do you sell hybrid cars",
                    "what is the battery warranty on electric models", "can I charge at home", "how far can the EQA go on one charge",
                    "do you install wall boxes for charging", "is a plug-in hybrid cheaper to run", "how fast can the EQS charge at a supercharger",
                    "how much does it cost to charge an electric car", "does cold weather reduce the range", "which charging cable do I need",
                    "how long does an EV battery last", "are there grants for buying an electric car",
                ],
                ["buying"] =
                [
                    "how much does the GLC cost", "can I lease a car", "what financing options do you offer", "can I trade in my old car",
                    "is there a waiting list for delivery", "can I order a car in a custom colour", "what is the monthly payment",
                    "do you sell used cars", "what's included in the price", "can I get a quote for the C-Class", "do you offer car insurance",
                    "what deposit do I need for finance", "can I return the car at the end of the lease", "how much is my car worth as a trade-in",
                    "do you have any offers this month", "when will my new car be delivered", "can I pay for the car in instalments",
                ],
                ["test drive"] =
                [
                    "can I book a test drive", "I would like to try the EQS this weekend", "when is the showroom open", "where is your dealership",
                    "can I test drive an electric car", "how long does a test drive take", "do I need my licence for a test drive",
                    "can I take the GLC for a drive tomorrow", "are you open on sundays", "can someone show me the AMG in person",
                ],
                ["service"] =
                [
                    "my car needs a service", "how much is an oil change", "do you replace tyres", "book a service appointment",
                    "what does the warranty cover", "my brakes are squeaking", "a warning light came on in my dashboard",
                    "my tyre pressure light is on", "my car won't start, the battery seems flat", "when is my next maintenance due",
                    "how do I turn off the engine start-stop", "the air conditioning in my car isn't cold", "can you fix a scratch on my door",
                    "how do I reset the service reminder on the dashboard", "how can I switch off the lane assist beeping", "what does the engine warning light mean",
                    "how do I get rid of a warning message on the display", "my engine idles roughly at traffic lights", "how do I turn off a warning light on the dashboard",
                    "how often should I change the oil", "how do I check my tyre pressure", "my car makes a strange noise when braking",
                    "can you jump start my car", "how long does a service take", "my windscreen wiper is broken", "when do I need new brake pads",
                ],
            },
            BlockedTopics = new Dictionary<string, IReadOnlyList<string>>
            {
                ["creative writing"] = ["write a poem", "write me a romantic poem", "tell me a story", "write song lyrics", "compose a haiku"],
                ["homework"] = ["solve this math problem", "write my essay", "explain photosynthesis"],
            },
            BrandTerms = ["Mercedes", "Mercedes-Benz", "German cars", "German car", "European cars", "European car"],
            // A dozen varied examples per topic: neighbours are further apart than in a dense set, so the
            // line is lower than the platform default (0.5 suits ~100 examples per topic; see README).
            // Everyday requests score 0.1–0.3 against these examples, car questions 0.35 and up.
            OnTopicThreshold = 0.35,
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
        Catalog =
        [
            new("Everyday Account", "account", 0m, "a current account with no monthly fee and a free debit card"),
            new("Harbor Saver", "savings", 0m, "an easy-access savings account paying 2.1% a year"),
            new("Harbor Visa", "card", 0m, "a credit card with no annual fee and 0% interest on purchases for the first 12 months"),
            new("Home Mortgage", "mortgage", 0m, "a fixed-rate mortgage over 2, 5 or 10 years"),
        ],
        FallbackAnswer = "Thanks for asking. A Harbor Bank advisor can help you with that — please call us or visit a branch.",
        Greeting = "Hi, I'm Harbor Bank's assistant. Ask me about accounts, cards, savings or mortgages.",
        Policy = new GuardrailPolicy
        {
            Competitors = ["Barclays", "HSBC", "Revolut", "Monzo", "Chase"],
            AllowedTopics = new Dictionary<string, IReadOnlyList<string>>
            {
                ["accounts"] =
                [
                    "how do I open an account", "what is my balance", "how do I close my account", "can I get a statement", "what are the account fees",
                    "show me my recent transactions", "how do I freeze my account", "why is my account blocked", "can I open a joint account",
                    "how do I set up direct deposit", "can I order new checks", "when is the branch open", "where is my nearest branch",
                    "can I open a business account", "how do I use the mobile banking app",
                ],
                ["cards"] =
                [
                    "I lost my card", "my card was declined", "how do I change my pin", "what is my credit limit", "can I increase my credit limit",
                    "how long does a replacement card take", "my card is damaged", "how many reward points do I have", "when does my card expire",
                    "are there fees for using my card abroad", "how do I apply for a credit card", "what's my credit score",
                ],
                ["payments"] =
                [
                    "how do I transfer money", "how do I pay a bill", "what is the routing number", "can I send money abroad", "report a fraudulent transaction",
                    "when is my bill due", "what's the minimum payment on my card", "how do I set up a standing order", "cancel a payment I made by mistake",
                ],
                ["savings and loans"] =
                [
                    "what interest rate do you pay on savings", "can I get a mortgage", "how do I apply for a loan", "what is the APR",
                    "how much can I borrow", "can I pay off my loan early", "what's the rate on a five year fixed mortgage", "open a savings account for my child",
                ],
            },
            // Few varied examples per topic: a lower line than the platform default (see Stuttgart Motors).
            OnTopicThreshold = 0.4,
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
            OnTopicThreshold = 0.35,
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

    public static TenantProfile? Find(string tenantId) => All.FirstOrDefault(t => t.TenantId == tenantId);
}

/// <summary>Whether this deployment seeds the demo tenants (<c>Orleans:SeedDemoTenants</c>, on by default).</summary>
public sealed record DemoTenantSeeding(bool Enabled);
