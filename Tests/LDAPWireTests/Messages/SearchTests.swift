import NIOCore
import Testing

@testable import LDAPWire

@Suite("LDAP Search")
struct SearchTests {
    static let nestedFilter = LDAPFilter.and([
        .equal("objectClass", "person"),
        .or([
            .substrings(.init(type: "uid", initial: Array("a".utf8))),
            .substrings(.init(type: "cn", any: [Array("b".utf8)])),
        ]),
    ])

    @Test func ldapsearchNestedFilterDecodes() throws {
        let message = try decode(Captured.nestedSearch)
        let expected = LDAPMessage(
            messageID: 2,
            protocolOp: .searchRequest(
                .init(
                    baseObject: "dc=example,dc=com", scope: .wholeSubtree, derefAliases: .neverDerefAliases,
                    sizeLimit: 0, timeLimit: 0, typesOnly: false, filter: Self.nestedFilter,
                    attributes: ["cn", "mail"])))
        #expect(message == expected)
        #expect(hexString(expected.encodedBytes()) == Captured.nestedSearch)
        guard case .searchRequest(let search) = message.protocolOp else { return }
        #expect(search.filter.description == "(&(objectClass=person)(|(uid=a*)(cn=*b*)))")
        #expect(try LDAPFilter(parsing: "(&(objectClass=person)(|(uid=a*)(cn=*b*)))") == search.filter)
    }

    @Test func slapdEntriesAndDoneInOneSegment() throws {
        var stream = buffer(Captured.searchAnswers)
        var framer = LDAPFrameDecoder()
        var messages: [LDAPMessage] = []
        while let frame = try framer.next(from: &stream) {
            messages.append(try LDAPMessage.decode(frame: frame))
        }
        #expect(stream.readableBytes == 0)
        #expect(messages.count == 3)
        #expect(messages.allSatisfy { $0.messageID == 2 })
        guard messages.count == 3, case .searchResultEntry(let alice) = messages[0].protocolOp,
            case .searchResultEntry(let bob) = messages[1].protocolOp,
            case .searchResultDone(let done) = messages[2].protocolOp
        else {
            Issue.record("unexpected messages \(messages)")
            return
        }
        #expect(alice.objectName == "uid=alice,ou=people,dc=example,dc=com")
        #expect(alice.attributes == [
            PartialAttribute(type: "cn", stringValues: ["Alice Liddell"]),
            PartialAttribute(type: "mail", stringValues: ["alice@example.com"]),
        ])
        #expect(alice.values(of: "CN") == [Array("Alice Liddell".utf8)])
        #expect(bob.values(of: "mail") == nil)
        #expect(done == LDAPResult(resultCode: .success))
        // Re-encoding gives slapd's bytes back.
        let reencoded = messages.flatMap { $0.encodedBytes() }
        #expect(hexString(reencoded) == Captured.searchAnswers)
    }

    @Test func pagedResultsControlsOnRequestAndDone() throws {
        let request = try decode(Captured.pagedSearch)
        #expect(request.controls == [
            LDAPControl(controlType: "1.2.840.113556.1.4.319", criticality: false, controlValue: bytes("30050201050400"))
        ])
        guard case .searchRequest(let search) = request.protocolOp else {
            Issue.record("not a search")
            return
        }
        #expect(search.scope == .singleLevel)
        #expect(search.filter == .equal("uid", "bob"))
        #expect(search.attributes == ["uid"])
        #expect(hexString(request.encodedBytes()) == Captured.pagedSearch)

        var stream = buffer(Captured.pagedAnswers)
        var framer = LDAPFrameDecoder()
        let entry = try LDAPMessage.decode(frame: try #require(try framer.next(from: &stream)))
        let done = try LDAPMessage.decode(frame: try #require(try framer.next(from: &stream)))
        #expect(try framer.next(from: &stream) == nil)
        guard case .searchResultEntry(let bob) = entry.protocolOp else {
            Issue.record("not an entry")
            return
        }
        #expect(bob.values(of: "uid") == [Array("bob".utf8)])
        #expect(done.controls.first?.controlValue == bytes("30050201000400"))
    }

    @Test func noSuchObjectWithMatchedDN() throws {
        let done = try decode(Captured.noSuchObjectDone)
        #expect(done.protocolOp == .searchResultDone(.init(resultCode: .noSuchObject, matchedDN: "dc=example,dc=com")))
        #expect(hexString(done.encodedBytes()) == Captured.noSuchObjectDone)
        let search = try decode(Captured.searchNoSuchBase)
        guard case .searchRequest(let request) = search.protocolOp else { return }
        #expect(request.attributes.isEmpty)
        #expect(request.filter == .equal("cn", "x"))
    }

    @Test func everyFilterKindRoundTrips() throws {
        let filter = LDAPFilter.or([
            .and([]),
            .or([]),
            .not(.present("objectClass")),
            .greaterOrEqual(.init("uidNumber", "1000")),
            .lessOrEqual(.init("uidNumber", "2000")),
            .approxMatch(.init("cn", "alise")),
            .substrings(.init(type: "cn", initial: [0x41], any: [[0x42], [0x43]], final: [0x44])),
            .extensibleMatch(.init(matchingRule: "caseExactMatch", type: "cn", matchValue: [0x61], dnAttributes: true)),
            .extensibleMatch(.init(matchingRule: "2.5.13.5", matchValue: [0x62])),
            .equalityMatch(.init(attributeDesc: "userCertificate;binary", assertionValue: [0x00, 0xff, 0x2a])),
        ])
        let message = LDAPMessage(
            messageID: 9, protocolOp: .searchRequest(.init(baseObject: "", scope: .baseObject, filter: filter)))
        #expect(try LDAPMessage.decode(bytes: message.encodedBytes()) == message)
        #expect(try LDAPFilter(parsing: filter.description) == filter)
    }

    @Test func searchResultReferenceAndEntryRoundTrip() throws {
        let reference = LDAPMessage(
            messageID: 5, protocolOp: .searchResultReference(.init(uris: ["ldap://other/dc=example,dc=com??sub"])))
        #expect(try LDAPMessage.decode(bytes: reference.encodedBytes()) == reference)
        let empty = LDAPMessage(messageID: 5, protocolOp: .searchResultReference(.init(uris: [])))
        #expect(decodingError(empty.encodedBytes())?.kind == .invalidValue)

        let entry = LDAPMessage(
            messageID: 5,
            protocolOp: .searchResultEntry(
                .init(objectName: "cn=x", attributes: [.init(type: "objectClass", stringValues: ["top", "person"]),
                                                        .init(type: "jpegPhoto", values: [Array(0...255)])])))
        #expect(try LDAPMessage.decode(bytes: entry.encodedBytes()) == entry)
    }

    @Test func badScopeIsAnsweredWithSearchResultDone() throws {
        var pdu = bytes(Captured.nestedSearch)
        // scope ENUMERATED is the first 0a 01 after the base DN.
        let index = try #require(pdu.firstIndex(of: 0x0a))
        #expect(pdu[index + 2] == 2)
        pdu[index + 2] = 7
        let error = try #require(decodingError(pdu))
        #expect(error.kind == .invalidValue)
        #expect(error.diagnostics.contains("scope 7"))
        #expect(error.disposition == .respond(messageID: 2, operation: .searchRequest, resultCode: .protocolError))
    }

    @Test func attributeListIsCapped() throws {
        let attributes = (0..<11).map { "a\($0)" }
        let message = LDAPMessage(
            messageID: 1, protocolOp: .searchRequest(.init(baseObject: "", filter: .present("cn"), attributes: attributes)))
        var limits = LDAPLimits()
        limits.maximumElements = 10
        let error = try #require(decodingError(message.encodedBytes(), limits: limits))
        #expect(error.kind == .tooManyElements)
        limits.maximumElements = 11
        #expect(try LDAPMessage.decode(bytes: message.encodedBytes(), limits: limits) == message)
    }

    @Test func deeplyNestedBERFilterIsATypedError() throws {
        // 10,000 nested `and` sets around one present filter, in a 1 MiB-allowed PDU.
        let filter = nested(0xa0, depth: 10_000, around: octets("cn", tag: 0x87))
        var body = tlv(0x02, [1]) + tlv(0x63, octets("") + tlv(0x0a, [2]) + tlv(0x0a, [0]) + tlv(0x02, [0])
            + tlv(0x02, [0]) + tlv(0x01, [0]) + filter + tlv(0x30, []))
        let pdu = tlv(0x30, body)
        body = []
        let error = try #require(decodingError(pdu))
        #expect(error.kind == .tooDeep)
        #expect(error.disposition == .noticeOfDisconnection(.protocolError))

        // Within the BER depth but deeper than the filter depth.
        var limits = LDAPLimits()
        limits.maximumFilterDepth = 8
        let nine = (0..<9).reduce(LDAPFilter.present("cn")) { inner, _ in .and([inner]) }
        let message = LDAPMessage(messageID: 1, protocolOp: .searchRequest(.init(baseObject: "", filter: nine)))
        #expect(decodingError(message.encodedBytes(), limits: limits)?.kind == .filterTooDeep)
        limits.maximumFilterDepth = 10
        #expect(try LDAPMessage.decode(bytes: message.encodedBytes(), limits: limits) == message)
    }

    @Test func filterComponentsAreCapped() throws {
        var limits = LDAPLimits()
        limits.maximumFilterComponents = 100
        let wide = LDAPFilter.or((0..<100).map { .equal("uid", "u\($0)") })
        let message = LDAPMessage(messageID: 1, protocolOp: .searchRequest(.init(baseObject: "", filter: wide)))
        #expect(decodingError(message.encodedBytes(), limits: limits)?.kind == .tooManyFilterComponents)
        limits.maximumFilterComponents = 101
        #expect(try LDAPMessage.decode(bytes: message.encodedBytes(), limits: limits) == message)
    }

    @Test func malformedSubstringsAreRefused() throws {
        func search(_ substrings: [UInt8]) -> [UInt8] {
            let filter = tlv(0xa4, octets("cn") + tlv(0x30, substrings))
            return tlv(0x30, tlv(0x02, [1]) + tlv(0x63, octets("") + tlv(0x0a, [2]) + tlv(0x0a, [0])
                + tlv(0x02, [0]) + tlv(0x02, [0]) + tlv(0x01, [0]) + filter + tlv(0x30, [])))
        }
        #expect(try LDAPMessage.decode(bytes: search(octets("a", tag: 0x80) + octets("b", tag: 0x82))).messageID == 1)
        #expect(decodingError(search([]))?.kind == .invalidValue)
        #expect(decodingError(search(octets("a", tag: 0x81) + octets("b", tag: 0x80)))?.kind == .unexpectedElement)
        #expect(decodingError(search(octets("a", tag: 0x82) + octets("b", tag: 0x81)))?.kind == .unexpectedElement)
        #expect(decodingError(search(octets("a", tag: 0x83)))?.kind == .unexpectedElement)
    }
}
