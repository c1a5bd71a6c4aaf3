import BindbeeSync

/// Plausible scalar values for a field, chosen by its declared type first and refined by its
/// name (a `city` gets a city, `*_date` an ISO date, `description` free text). Nothing here
/// lists a model's fields: unknown names fall back to a generic value of the right type.
enum ValueText {
    static func string(_ field: FieldSpec, _ slot: RecordGenerator.Slot, now: SandboxTimestamp,
                       connector: SandboxConnector, _ random: inout KeyedRandom) -> String {
        let name = field.name
        let person = slot.person
        switch field.format {
        case "date-time": return instant(name, slot, now: now, &random).iso8601
        case "uri": return url(slot, &random)
        case "uuid": return random.uuid()
        default: break
        }
        switch name {
        case "first_name", "preferred_name": return person.first
        case "last_name": return person.last
        case "middle_name": return String(random.pick(Array("ABCDEFGHJKLMNOPRSTW"))) + "."
        case "display_full_name": return person.fullName
        case "username": return "\(person.asciiFirst).\(person.asciiLast)\(slot.index)"
        case "ssn": return "***-**-\(digits(4, &random))"
        case "country", "country_code": return random.pick(SampleText.countries)
        case "state": return random.pick(SampleText.states)
        case "city": return random.pick(SampleText.cities)
        case "postal_code": return digits(5, &random)
        case "street_1": return "\(random.int(in: 1...999)) \(random.pick(SampleText.streets))"
        case "street_2": return "Suite \(random.int(in: 100...999))"
        case "currency", "pay_currency": return random.pick(SampleText.currencies)
        case "department", "division": return random.pick(SampleText.departments)
        case "designation", "job_title", "title": return random.pick(SampleText.titles)
        case "account_number": return digits(10, &random)
        case "routing_number": return digits(9, &random)
        case "bank_name": return "\(random.pick(SampleText.words)) Bank"
        case "location": return "\(random.pick(SampleText.cities)) \(random.pick(["HQ", "Office", "Hub"]))"
        case "source": return random.pick(["LinkedIn", "Referral", "Careers page", "Agency", "Indeed"])
        case "filename", "file_name": return "\(random.pick(SampleText.words).lowercased())_\(slot.index).pdf"
        case "url", "avatar", "cover_image", "value": return url(slot, &random)
        case "duration", "time_duration": return "PT\(random.int(in: 5...240))M"
        case "employee_number", "code", "deduction_code":
            return "\(initials(slot.noun))-\(1000 + slot.index)"
        case "description", "body", "employee_note", "subject", "termination_reason":
            if slot.index < SampleText.freeText.count { return SampleText.freeText[slot.index] }
            return random.chance(30) ? random.pick(SampleText.freeText) : random.pick(SampleText.sentences)
        default: break
        }
        if name.contains("email") {
            let domain = name.hasPrefix("personal") ? "mail.example" : "\(connector.name).example"
            return "\(person.asciiFirst).\(person.asciiLast)\(slot.index)@\(domain)"
        }
        if name.contains("phone") { return phone(&random) }
        if name == "date_of_birth" {
            return SandboxTimestamp(millisecondsSince1970: Int64(random.int(in: -3_650...12_400)) * SandboxTimestamp.millisecondsPerDay).isoDate
        }
        if name == "date" || name.hasSuffix("_date") {
            return instant(name, slot, now: now, &random).isoDate
        }
        if name.hasSuffix("_at") || name.hasSuffix("_time") {
            return instant(name, slot, now: now, &random).iso8601
        }
        if name.hasSuffix("name") {
            return "\(random.pick(SampleText.words)) \(slot.noun) \(slot.index + 1)"
        }
        return "\(words(name)) \(slot.index + 1)"
    }

    static func integer(_ name: String, _ random: inout KeyedRandom) -> Int64 {
        switch name {
        case "stage_order": return Int64(random.int(in: 1...8))
        case "order": return Int64(random.int(in: 1...40))
        case "score": return Int64(random.int(in: 0...100))
        case "form_year": return Int64(random.int(in: 2019...2026))
        default: return Int64(random.int(in: 0...1000))
        }
    }

    /// integer|number fields: about half whole numbers, half with cents.
    static func number(_ name: String, _ random: inout KeyedRandom) -> JSONValue {
        let small = name.contains("hours") || name.contains("duration") || name == "balance" || name == "used"
        if small {
            let quarters = random.int(in: 0...160)
            return quarters % 4 == 0 ? .int(Int64(quarters / 4)) : .double(Double(quarters) / 4)
        }
        if random.bool() { return .int(Int64(random.int(in: 10...20_000))) }
        var cents = random.int(in: 1_000...2_000_000)
        if cents % 100 == 0 { cents += 37 }
        return .double(Double(cents) / 100)
    }

    /// One element of an array of strings.
    static func listElement(_ name: String, _ slot: RecordGenerator.Slot, connector: SandboxConnector,
                            _ random: inout KeyedRandom) -> String {
        switch name {
        case "eins": return "\(digits(2, &random))-\(digits(7, &random))"
        case "locations": return random.pick(SampleText.cities)
        case "phone_numbers": return phone(&random)
        case "email_addresses":
            return "\(slot.person.asciiFirst).\(slot.person.asciiLast)+\(random.int(in: 1...99))@\(connector.name).example"
        case "tags": return random.pick(SampleText.tagWords)
        default: return random.pick(SampleText.words)
        }
    }

    /// The instant behind a date or date-time field. Fields that open a period (`start_*`,
    /// `effective_*`, `applied_at`) sit on the record's anchor; fields that close one
    /// (`end_*`, `termination_date`, `completed_at`, ...) follow it by hours (`*_time`) or
    /// days; pay and check dates follow by two to five weeks. Others fall anywhere in the
    /// 400 days before `now`.
    static func instant(_ name: String, _ slot: RecordGenerator.Slot, now: SandboxTimestamp,
                        _ random: inout KeyedRandom) -> SandboxTimestamp {
        let hour: Int64 = 3_600_000, day = SandboxTimestamp.millisecondsPerDay
        if name.hasPrefix("start") || name.hasPrefix("effective") || name.hasSuffix("period_start_date")
            || name == "applied_at" || name == "date" {
            return slot.anchor
        }
        if name.hasPrefix("end") || name.hasSuffix("_end_date")
            || ["termination_date", "completed_at", "closed_at", "rejected_at"].contains(name) {
            return slot.anchor.adding(milliseconds: name.hasSuffix("_time") || name.hasSuffix("end_at")
                ? Int64(random.int(in: 1...9)) * hour + Int64(random.below(3_600_000))
                : Int64(random.int(in: 1...180)) * day)
        }
        if name == "check_date" || name == "pay_date" {
            return slot.anchor.adding(milliseconds: Int64(random.int(in: 14...35)) * day)
        }
        return now.adding(milliseconds: -Int64(random.below(400 * Int(day))))
    }

    static func url(_ slot: RecordGenerator.Slot, _ random: inout KeyedRandom) -> String {
        "https://files.sandbox.bindbee.example/\(slot.model)/\(slot.index)/\(digits(6, &random))"
    }

    static func phone(_ random: inout KeyedRandom) -> String {
        "+1-555-\(digits(3, &random))-\(digits(4, &random))"
    }

    static func digits(_ count: Int, _ random: inout KeyedRandom) -> String {
        String((0..<count).map { _ in Character(String(random.below(10))) })
    }

    /// `pay-groups` / `HrisAddress` / `job_title` → `Pay Groups` / `Hris Address` / `Job Title`.
    static func words(_ identifier: String) -> String {
        var out = ""
        var previousLower = false
        for ch in identifier {
            if ch == "-" || ch == "_" {
                out.append(" ")
                previousLower = false
                continue
            }
            if ch.isUppercase, previousLower { out.append(" ") }
            out.append(out.isEmpty || out.last == " " ? Character(ch.uppercased()) : ch)
            previousLower = ch.isLowercase
        }
        return out
    }

    static func initials(_ words: String) -> String {
        String(words.split(separator: " ").compactMap(\.first)).uppercased()
    }
}
