import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Cursor expiry")
struct CursorExpiryTests {
    let employees = spec(.hris, "employees")

    @Test("after expireCursors() every earlier cursor gets 400 Cursor expired; new cursors work")
    func expiredCursorsAreRefused() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let old = try client.walk(.acmeHRIS, employees, query: [("page_size", "100")]).compactMap(\.cursor)
        let oldConnectors = try #require(try client.get("/api/hris/v1/connectors", query: [("page_size", "1")]).json()["cursor"]?.stringValue)
        #expect(old.count == 2)

        sandbox.expireCursors()
        for cursor in old {
            let refused = try client.get(employees.path, token: SandboxConnector.acmeHRIS.token,
                                         query: [("page_size", "100"), ("cursor", cursor)])
            #expect(refused.status == 400)
            #expect(try refused.json() == JSONValue.parse(#"{"detail":"Cursor expired"}"#))
        }
        let connectors = try client.get("/api/hris/v1/connectors", query: [("page_size", "1"), ("cursor", oldConnectors)])
        #expect(try connectors.json() == JSONValue.parse(#"{"detail":"Cursor expired"}"#))
        // Garbage, or a cursor of another list, is still "Invalid cursor", not "expired".
        let umbrella = try client.get(employees.path, token: SandboxConnector.umbrellaHRIS.token, query: [("cursor", old[0])])
        #expect(try umbrella.json() == JSONValue.parse(#"{"detail":"Invalid cursor"}"#))

        // The pull restarts from its beginning and gets everything, with new cursors.
        let restarted = try client.walk(.acmeHRIS, employees, query: [("page_size", "100")])
        #expect(restarted.flatMap(\.items).compactMap { $0["id"]?.stringValue }
            == demoDataset.records(connector: "acme-hris", model: "employees").map(\.id))
        let fresh = restarted.compactMap(\.cursor)
        #expect(Set(fresh).isDisjoint(with: old))

        sandbox.expireCursors()
        let again = try client.get(employees.path, token: SandboxConnector.acmeHRIS.token, query: [("cursor", fresh[0])])
        #expect(try again.json() == JSONValue.parse(#"{"detail":"Cursor expired"}"#))
        #expect(sandbox.apiCounters.responsesByStatus[400] == 5)
    }

    @Test("an expired cursor is never turned into a fault")
    func expiryBeatsFaults() throws {
        let sandbox = try startSandbox(faults: FaultPlan.matrix(rate: 1))
        defer { sandbox.stop() }
        let clean = try startSandbox()
        defer { clean.stop() }
        let cursor = try #require(try SandboxClient(clean).page(.acmeHRIS, employees, query: [("page_size", "5")]).cursor)
        sandbox.expireCursors()
        let client = try SandboxClient(sandbox)
        for _ in 0..<4 {
            let answer = try client.get(employees.path, token: SandboxConnector.acmeHRIS.token, query: [("cursor", cursor)])
            #expect(answer.status == 400)
        }
        #expect(sandbox.apiCounters.faults == 0)
    }
}

@Suite("Fault plans")
struct FaultPlanTests {
    @Test("--faults values: KIND=RATE lists, all=RATE for the matrix, overrides after all")
    func parsesPlans() throws {
        let plan = try FaultPlan.parse("500=0.1,reset=0.05,short=0.2")
        #expect(plan.rates == [.serverError: 0.1, .reset: 0.05, .shortPage: 0.2])
        #expect(plan.summary == "500=0.1,reset=0.05,short=0.2")
        #expect(try FaultPlan.parse("all=0.2") == FaultPlan.matrix(rate: 0.2))
        #expect(FaultPlan.matrix(rate: 0.8).rates.count == FaultKind.allCases.count)
        #expect(FaultPlan.matrix(rate: 0.8).rates.values.allSatisfy { $0 == 0.1 })
        let overridden = try FaultPlan.parse("all=0.4,stall=0,429=0.3")
        #expect(overridden.rate(.stall) == 0 && overridden.rate(.throttle) == 0.3 && overridden.rate(.badGateway) == 0.05)
        #expect(try FaultPlan.parse("502=0,503=0").isEmpty)
        #expect(FaultPlan.none.isEmpty && FaultPlan.none.summary == "none")
        let defaults = FaultPlan()
        #expect(defaults.maxConsecutiveFaults == 3 && defaults.stallSeconds == 5)
        #expect(defaults.throttleRetryAfter == 0...3 && defaults.unavailableRetryAfter == 0...2 && defaults.burstLength == 1...4)
    }

    @Test("bad --faults values are refused with a reason")
    func refusesBadPlans() {
        let cases: [(String, String)] = [
            ("404=0.1", "unknown fault kind \"404\""),
            ("500=1.5", "the rate of 500 must be a number from 0 to 1"),
            ("500=abc", "the rate of 500 must be a number from 0 to 1"),
            ("500=nan", "the rate of 500 must be a number from 0 to 1"),
            ("500", "expected KIND=RATE"),
            ("500=0.1,", "expected KIND=RATE"),
            ("500=0.1,500=0.2", "500 given more than once"),
            ("500=0.6,502=0.6", "add up to 1.2"),
            ("500=0.1,all=0.2", "all=RATE must come first"),
        ]
        for (text, message) in cases {
            do {
                _ = try FaultPlan.parse(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.contains(message), "\(text): \(error)")
            }
        }
    }
}
