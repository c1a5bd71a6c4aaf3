/// The words the dataset builds strings from. The first entries of `people` and `freeText`
/// are the hard cases a mirror must keep byte for byte: non-Latin scripts, emoji, the same
/// name precomposed ("Renée") and decomposed ("Rene\u{301}e"), quotes, backslashes, newlines
/// and tabs. Records 0..<`guaranteedCount` of a model use them in order, so every connector
/// with a people model or a free-text field serves each of them.
enum SampleText {
    struct Person {
        let first: String
        let last: String
        /// ASCII spelling for e-mail addresses and user names.
        let asciiFirst: String
        let asciiLast: String
        /// Family name first (Korean order).
        var familyFirst = false

        var fullName: String { familyFirst ? last + first : first + " " + last }
    }

    static let specialPeople: [Person] = [
        Person(first: "José", last: "Müller", asciiFirst: "jose", asciiLast: "mueller"),
        Person(first: "Zoë", last: "Ångström", asciiFirst: "zoe", asciiLast: "angstrom"),
        Person(first: "민준", last: "김", asciiFirst: "minjun", asciiLast: "kim", familyFirst: true),
        Person(first: "Renée", last: "Lefèvre", asciiFirst: "renee", asciiLast: "lefevre"),
        Person(first: "Rene\u{301}e", last: "Lefe\u{300}vre", asciiFirst: "renee", asciiLast: "lefevre"),
        Person(first: "Søren", last: "Ærøskøbing", asciiFirst: "soren", asciiLast: "aeroskobing"),
        Person(first: "Siobhán", last: "O'Brien", asciiFirst: "siobhan", asciiLast: "obrien"),
        Person(first: "Dwayne \"The Rock\"", last: "Back\\slash", asciiFirst: "dwayne", asciiLast: "backslash"),
    ]

    static let firstNames: [(String, String)] = [
        ("Ava", "ava"), ("Liam", "liam"), ("Olivia", "olivia"), ("Noah", "noah"), ("Mia", "mia"),
        ("Lucas", "lucas"), ("Sofía", "sofia"), ("Mateo", "mateo"), ("Amara", "amara"), ("Kenji", "kenji"),
        ("Priya", "priya"), ("Anaïs", "anais"), ("Łukasz", "lukasz"), ("Ngozi", "ngozi"), ("Fatima", "fatima"),
        ("Chloé", "chloe"), ("Oskar", "oskar"), ("Yuki", "yuki"), ("Émile", "emile"), ("Ines", "ines"),
    ]

    static let lastNames: [(String, String)] = [
        ("García", "garcia"), ("Nguyen", "nguyen"), ("Smith", "smith"), ("Johansson", "johansson"),
        ("Kowalski", "kowalski"), ("Dubois", "dubois"), ("Okafor", "okafor"), ("Patel", "patel"),
        ("Rossi", "rossi"), ("Ibáñez", "ibanez"), ("Þórsson", "thorsson"), ("Černý", "cerny"),
        ("Schröder", "schroder"), ("Tanaka", "tanaka"), ("Andersen", "andersen"), ("Silva", "silva"),
    ]

    static let freeText: [String] = [
        "Kick-off 🚀 for Q4: \"growth\" goals\n\tsee C:\\Shared\\HR\\plan.txt",
        "Café offsite: re\u{301}sume\u{301} review with the team",
        "Résumé screening — second round",
        "Line one\nLine two\twith a tab",
        "Quote \"inside\" and a backslash \\ at the end\\",
        "Ærøskøbing office 🌊 opens Monday",
        "Notes for 김민준: 면접 일정 확인",
        "Zoë's 👩‍💻 onboarding checklist",
    ]

    static let words = [
        "Northwind", "Aurora", "Summit", "Harbor", "Cedar", "Quantum", "Atlas", "Meridian", "Nova", "Pioneer",
        "Zenith", "Horizon", "Ember", "Lumen", "Orbit", "Vertex", "Juniper", "Polaris", "Sierra", "Tundra",
    ]

    static let sentences = [
        "Reviewed and approved by the regional team.",
        "Follow up next week about the open questions.",
        "Imported from the legacy system during migration.",
        "Includes the updated policy from January.",
        "Awaiting confirmation from payroll.",
        "Shared with the hiring committee.",
    ]

    static let cities = ["Ærøskøbing", "München", "São Paulo", "Kraków", "Zürich", "서울", "Reykjavík",
                         "Austin", "Toronto", "Nairobi", "Montréal", "Bengaluru"]
    static let countries = ["US", "DE", "BR", "PL", "CH", "KR", "IS", "CA", "KE", "IN", "DK"]
    static let states = ["CA", "NY", "TX", "WA", "BY", "ON", "Hovedstaden", "KA"]
    static let streets = ["Main St", "Hauptstraße", "Rua Augusta", "Østergade", "Maple Ave", "Rue de l'Église"]
    static let currencies = ["USD", "EUR", "GBP", "INR", "JPY", "DKK", "KRW"]
    static let departments = ["Engineering", "Sales", "People Ops", "Finance", "Marketing", "R&D", "Support"]
    static let titles = ["Software Engineer", "Account Executive", "HR Business Partner", "Data Analyst",
                         "Product Manager", "Recruiter", "Designer", "Ingénieur Qualité"]
    static let tagWords = ["referral", "senior", "remote", "priority", "rehire", "campus", "diversity"]
    static let passthroughPrefix = "Custom: "
}
