import BindbeeSync

/// Which model each relation field points at, per category. The spec leaves relation fields
/// untyped (`{}`), so this table is the sandbox's reading of their names; the dataset fills
/// them with ids of records that exist in the same connector, and a test proves every `any`
/// field of the catalog is listed here.
///
/// Besides the `any` fields it lists the uuid-typed string fields that refer to other records
/// (`HrisGroup.parent_group`, `payroll_code` inside Earning/Deduction/Tax).
public enum RelationMap {
    /// Field name → target model name, per category.
    public static let targets: [Category: [String: String]] = [
        .hris: [
            "employee": "employees",
            "manager": "employees",
            "approver": "employees",
            "company": "companies",
            "pay_group": "pay-groups",
            "payroll_run_calendar": "payroll-run-calendars",
            "benefit": "benefits",
            "employer_benefit": "employer-benefits",
            "dependent": "dependents",
            "payroll_run": "payroll-runs",
            "groups": "groups",
            "work_locations": "locations",
            "payroll_codes": "payroll-codes",
            "covered_dependents": "dependents",
            "parent_group": "groups",
            "payroll_code": "payroll-codes",
        ],
        .ats: [
            "candidate": "candidates",
            "job": "jobs",
            "application": "applications",
            "current_stage": "job-interview-stages",
            "job_interview_stage": "job-interview-stages",
            "reject_reason": "reject-reasons",
            "credited_to": "remote-users",
            "creator": "remote-users",
            "organizer": "remote-users",
            "interviewer": "remote-users",
            "user": "remote-users",
            "interview": "scheduled-interviews",
            "departments": "departments",
            "offices": "offices",
            "hiring_managers": "remote-users",
            "recruiters": "remote-users",
            "interviewers": "remote-users",
            "applications": "applications",
            "attachments": "attachments",
        ],
        .lms: [
            "user": "users",
            "course": "courses",
            "content": "contents",
            "completion": "completions",
            "categories": "categories",
            "skills": "skills",
            "instructors": "users",
            "contents": "contents",
            "courses": "courses",
        ],
    ]

    /// The model a field of `category` refers to, or nil when it is not a relation.
    public static func target(_ category: Category, field: String) -> String? {
        targets[category]?[field]
    }

    /// Whether the catalog field holds record ids: an untyped field, an array of untyped
    /// items, or a uuid string other than the record's own `id` that this map lists.
    static func isRelation(_ field: FieldSpec, category: Category) -> Bool {
        switch field.type {
        case .any: return true
        case .array: return field.items == .type("any")
        case .string: return field.format == "uuid" && field.name != "id" && target(category, field: field.name) != nil
        default: return false
        }
    }
}
