import Foundation
import RADIUSWire
import TestSupport
import Testing

/// The 38 packets of `shared/reference/radius-packets.json`, from the FreeRADIUS project's unit
/// tests (CC-BY-4.0): each decodes to the attributes FreeRADIUS lists, in order, and re-encodes
/// byte for byte.
@Suite struct ReferencePacketTests {
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var hex: String
        var expect: String
        var structurally_valid: Bool
        var testDescription: String { "\(file) \(hex.prefix(16))" }
    }

    /// The FreeRADIUS vectors are signed with FreeRADIUS's test secret.
    static let secret = Array("testing123".utf8)

    static let vectors: [Vector] = {
        let url = Peers.sharedReference("radius-packets.json")
        guard let data = try? Data(contentsOf: url) else { return [] }
        return (try? JSONDecoder().decode([Vector].self, from: data)) ?? []
    }()

    @Test func theReferenceFileIsThere() {
        #expect(Self.vectors.count == 38, "shared/reference/radius-packets.json is missing or changed")
    }

    @Test(arguments: vectors)
    func decodesAsFreeRADIUSDoesAndReencodesExactly(_ vector: Vector) throws {
        let bytes = hex(vector.hex)
        let packet = try RADIUSPacket(decoding: bytes)
        #expect(try packet.encoded() == bytes)

        var lines = [
            "Packet-Type = ::\(packet.code.name)",
            "Packet-Authentication-Vector = \(packet.authenticator)",
        ]
        for attribute in packet.attributes {
            lines += RADIUSDictionary.standard.present(attribute).map(\.description)
        }
        let expected = Self.split(vector.expect)
        #expect(lines.count == expected.count, "ours: \(lines)\ntheirs: \(expected)")
        for (ours, theirs) in zip(lines, expected) {
            if theirs.hasPrefix("User-Password = ") {
                // FreeRADIUS printed the password as decrypted with a secret of its test harness
                // that the vectors do not name; the value's presence and position are compared.
                #expect(ours.hasPrefix("User-Password = "))
            } else {
                #expect(ours == theirs)
            }
        }
    }

    /// Splits FreeRADIUS's "A = x, B = "y, z"" list at the commas between attributes.
    static func split(_ text: String) -> [String] {
        var result: [String] = []
        var current = String.UnicodeScalarView()
        var inQuotes = false
        var escaped = false
        for character in text.unicodeScalars {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == "," && !inQuotes {
                result.append(String(current).trimmingCharacters(in: .whitespaces))
                current = String.UnicodeScalarView()
                continue
            }
            current.append(character)
        }
        result.append(String(current).trimmingCharacters(in: .whitespaces))
        return result
    }

    /// 15 of the vectors carry a Message-Authenticator made with FreeRADIUS's test secret (counted
    /// independently with Python's hmac module): requests as RFC 3579 §3.2 and RFC 5176 §3.3 say,
    /// replies over their own authenticator field. The others (the CoA-Request, whose authenticator
    /// is arbitrary, and captures made with other secrets) must not verify.
    @Test func messageAuthenticatorsOfTheVectorsVerify() throws {
        var valid = 0
        var invalid = 0
        for vector in Self.vectors {
            let bytes = hex(vector.hex)
            let packet = try RADIUSPacket(decoding: bytes)
            guard packet[.messageAuthenticator] != nil else { continue }
            let requestAuthenticator: RADIUSAuthenticator? = packet.code.isRequest ? nil : packet.authenticator
            let status = try RADIUSPacket.checkMessageAuthenticator(
                in: bytes, secret: Self.secret, requestAuthenticator: requestAuthenticator)
            #expect(status != .absent)
            if status == .valid {
                valid += 1
                var tampered = bytes
                tampered[tampered.count - 1] ^= 1
                #expect(try RADIUSPacket.checkMessageAuthenticator(
                    in: tampered, secret: Self.secret, requestAuthenticator: requestAuthenticator) == .invalid)
                #expect(try RADIUSPacket.checkMessageAuthenticator(
                    in: bytes, secret: Array("testing124".utf8), requestAuthenticator: requestAuthenticator) == .invalid)
            } else {
                invalid += 1
            }
        }
        #expect(valid == 15)
        #expect(invalid == 13)
    }

    @Test func computedRequestAuthenticatorsVerify() throws {
        let coa = hex(Self.vectors[0].hex)  // packet_port1700: CoA-Request for "bob"
        #expect(try RADIUSPacket.verifyRequestAuthenticator(in: coa, secret: Self.secret))
        #expect(try !RADIUSPacket.verifyRequestAuthenticator(in: coa, secret: Array("testing124".utf8)))
        let disconnect = try #require(Self.vectors.first { $0.hex.hasPrefix("28") }).hex
        #expect(try RADIUSPacket.verifyRequestAuthenticator(in: hex(disconnect), secret: Self.secret))
    }

    @Test func accessRequestPasswordOfTheRFC3162VectorIsHello() throws {
        let vector = try #require(Self.vectors.first { $0.file == "packet_rfc3162.txt" })
        let packet = try RADIUSPacket(decoding: hex(vector.hex))
        let hidden = try #require(packet[.userPassword]).value
        let password = try RADIUSUserPassword.unhide(hidden, secret: Self.secret, authenticator: packet.authenticator)
        #expect(password == Array("hello".utf8))
    }
}
