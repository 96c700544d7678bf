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
        Competitors = ["Porsche", "BMW", "Audi", "Tesla", "Lexus", "Volvo"],
        FallbackAnswer = "Thanks for your question! One of our Mercedes-Benz specialists will gladly help you find the right car — you can also book a test drive at Stuttgart Motors.",
        Greeting = "Welcome to Stuttgart Motors! Ask me about our Mercedes-Benz models, test drives or servicing.",
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
        Competitors = ["Barclays", "HSBC", "Revolut", "Monzo", "Chase"],
        FallbackAnswer = "Thanks for asking. A Harbor Bank advisor can help you with that — please call us or visit a branch.",
        Greeting = "Hi, I'm Harbor Bank's assistant. Ask me about accounts, cards, savings or mortgages.",
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
        Competitors = ["Decathlon", "Halfords", "Canyon"],
        FallbackAnswer = "Thanks! Drop by Velo Corner and our mechanics will help you out.",
        Greeting = "Hey! Velo Corner here — ask me about bikes, e-bikes, gear or a service.",
    };

    public static readonly TenantProfile[] All = [StuttgartMotors, HarborBank, VeloCorner];
}
