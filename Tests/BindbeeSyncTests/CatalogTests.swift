import Foundation
import Testing
@testable import BindbeeSync

/// The catalog must be models.json, field for field: it decides every table and column.
@Suite struct CatalogTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// models.json as the API facts hold it: `../shared/bindbee-api/` beside the checkout when
    /// present (the source of truth), else the vendored copy the catalog was generated from.
    static func modelsJSON() throws -> [String: Any] {
        let shared = sharedModelsJSON
        let vendored = repoRoot.appendingPathComponent("Sources/BindbeeSync/Catalog/models.json")
        let url = FileManager.default.fileExists(atPath: shared.path) ? shared : vendored
        return try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static let sharedModelsJSON = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/bindbee-api/models.json")

    /// Only where the API facts sit beside the checkout (as in CI); elsewhere there is nothing to compare with.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: sharedModelsJSON.path), "no ../shared/bindbee-api beside the checkout"))
    func vendoredCopyMatchesSharedAPIFacts() throws {
        let shared = Self.sharedModelsJSON
        let vendored = Self.repoRoot.appendingPathComponent("Sources/BindbeeSync/Catalog/models.json")
        #expect(try Data(contentsOf: shared) == Data(contentsOf: vendored),
                "models.json changed: run Sources/BindbeeSync/Catalog/update-catalog.sh")
        #expect(embeddedModelsJSON.utf8.elementsEqual(try Data(contentsOf: vendored)),
                "CatalogData.swift is stale: run Sources/BindbeeSync/Catalog/update-catalog.sh")
    }

    /// Compares every endpoint and field with an independent reading of models.json
    /// (Foundation's JSONSerialization, not the catalog's Codable path).
    @Test func catalogEqualsModelsJSON() throws {
        let json = try Self.modelsJSON()
        let endpoints = try #require(json["list_endpoints"] as? [[String: Any]])
        let catalog = ModelCatalog.shared
        #expect(catalog.models.count == 44)
        #expect(endpoints.count == catalog.models.count)
        for (endpoint, model) in zip(endpoints, catalog.models) {
            #expect(endpoint["path"] as? String == model.path)
            #expect(endpoint["category"] as? String == model.category.rawValue)
            #expect(endpoint["model"] as? String == model.model)
            #expect(endpoint["item_schema"] as? String == model.itemSchema)
            #expect(endpoint["filters"] as? [String] == model.filters)
            #expect(endpoint["endpoint_filters"] as? [String] == model.endpointFilters)
            let supports = try #require(endpoint["supports"] as? [String: Bool])
            #expect(supports["modified_after"] == model.supports.modifiedAfter, "\(model.path)")
            #expect(supports["expand"] == model.supports.expand)
            #expect(endpoint["page_size_max"] as? Int == model.pageSizeMax)
            let fields = try #require(endpoint["fields"] as? [[String: Any]])
            #expect(fields.count == model.fields.count, "\(model.path)")
            for (f, spec) in zip(fields, model.fields) {
                #expect(f["name"] as? String == spec.name)
                #expect(f["type"] as? String == spec.type.rawValue, "\(model.path) \(spec.name)")
                #expect(f["nullable"] as? Bool == spec.nullable, "\(model.path) \(spec.name)")
                #expect(f["format"] as? String == spec.format)
                #expect(f["enum"] as? [String] == spec.enum)
                #expect(f["ref"] as? String == spec.ref)
                #expect(f["required"] as? Bool == spec.required)
                #expect(f["declared_types"] as? [String] == spec.declaredTypes)
            }
        }
    }

    @Test func categoriesHoldTheDocumentedCounts() {
        let catalog = ModelCatalog.shared
        #expect(catalog.models(in: .hris).count == 21)
        #expect(catalog.models(in: .ats).count == 16)
        #expect(catalog.models(in: .lms).count == 7)
        // modified_after exists everywhere but on the LMS lists.
        #expect(catalog.models.filter { !$0.supports.modifiedAfter }.map(\.category) == Array(repeating: .lms, count: 7))
    }

    @Test func tableNamesFollowTheContract() {
        let catalog = ModelCatalog.shared
        #expect(catalog.model(.hris, "bank-info")?.tableName == "hris_bank_info")
        #expect(catalog.model(.hris, "time-off")?.tableName == "hris_time_off")
        #expect(catalog.model(.ats, "job-interview-stages")?.tableName == "ats_job_interview_stages")
        #expect(catalog.model(.lms, "users")?.tableName == "lms_users")
        #expect(Set(catalog.models.map(\.tableName)).count == 44)
        // No field may collide with a bookkeeping column.
        for model in catalog.models {
            #expect(model.fields.filter { $0.name == "id" }.count == 1, "\(model.path)")
            #expect(!model.fields.contains { $0.name.hasPrefix("_") }, "\(model.path)")
        }
    }
}
